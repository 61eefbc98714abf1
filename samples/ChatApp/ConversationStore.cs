namespace ChatApp;

/// <summary>
/// Conversations in memory, one per caller name, bounded in messages per conversation and in
/// conversations: a caller sees only the history stored under its own name.
/// </summary>
public sealed class ConversationStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<Conversation>> _byCaller = new(StringComparer.Ordinal);

    // Most recently used first, so eviction takes the last.
    private readonly LinkedList<Conversation> _recency = new();

    /// <summary>Creates a store with the given bounds.</summary>
    /// <param name="maxMessagesPerConversation">Messages kept per conversation; the oldest are dropped.</param>
    /// <param name="maxConversations">Conversations kept; the least recently used is dropped.</param>
    public ConversationStore(int maxMessagesPerConversation = ChatAppLimits.MaxMessagesPerConversation, int maxConversations = ChatAppLimits.MaxConversations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessagesPerConversation, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConversations, 1);
        MaxMessagesPerConversation = maxMessagesPerConversation;
        MaxConversations = maxConversations;
    }

    /// <summary>Messages kept per conversation.</summary>
    public int MaxMessagesPerConversation { get; }

    /// <summary>Conversations kept at once.</summary>
    public int MaxConversations { get; }

    /// <summary>The number of conversations held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byCaller.Count;
            }
        }
    }

    /// <summary>A copy of <paramref name="caller"/>'s conversation, oldest message first; empty when there is none.</summary>
    public IReadOnlyList<ChatTurn> History(string caller)
    {
        ArgumentException.ThrowIfNullOrEmpty(caller);
        lock (_gate)
        {
            return _byCaller.TryGetValue(caller, out var node) ? [.. node.Value.Turns] : [];
        }
    }

    /// <summary>Adds a question and its answer to <paramref name="caller"/>'s conversation, as one step.</summary>
    public void Append(string caller, ChatTurn question, ChatTurn answer)
    {
        ArgumentException.ThrowIfNullOrEmpty(caller);
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(answer);
        lock (_gate)
        {
            if (_byCaller.TryGetValue(caller, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
            }
            else
            {
                if (_byCaller.Count >= MaxConversations)
                {
                    var oldest = _recency.Last!;
                    _recency.RemoveLast();
                    _byCaller.Remove(oldest.Value.Caller);
                }

                node = _recency.AddFirst(new Conversation(caller));
                _byCaller.Add(caller, node);
            }

            var turns = node.Value.Turns;
            turns.Enqueue(question);
            turns.Enqueue(answer);
            while (turns.Count > MaxMessagesPerConversation)
            {
                turns.Dequeue();
            }
        }
    }

    /// <summary>Forgets <paramref name="caller"/>'s conversation.</summary>
    public void Clear(string caller)
    {
        ArgumentException.ThrowIfNullOrEmpty(caller);
        lock (_gate)
        {
            if (_byCaller.Remove(caller, out var node))
            {
                _recency.Remove(node);
            }
        }
    }

    private sealed class Conversation(string caller)
    {
        public string Caller { get; } = caller;

        public Queue<ChatTurn> Turns { get; } = new();
    }
}
