namespace DocApp;

/// <summary>
/// Each caller's documents in memory, searched by cosine similarity. Bounded in documents and chunks
/// per caller and in callers; a caller searches only its own documents.
/// </summary>
public sealed class DocumentStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<Library>> _byCaller = new(StringComparer.Ordinal);

    // Most recently used first, so eviction takes the last.
    private readonly LinkedList<Library> _recency = new();

    /// <summary>Creates a store with the given bounds.</summary>
    public DocumentStore(int maxDocumentsPerCaller = DocAppLimits.MaxDocumentsPerCaller, int maxChunksPerCaller = DocAppLimits.MaxChunksPerCaller, int maxCallers = DocAppLimits.MaxCallers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDocumentsPerCaller, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunksPerCaller, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCallers, 1);
        MaxDocumentsPerCaller = maxDocumentsPerCaller;
        MaxChunksPerCaller = maxChunksPerCaller;
        MaxCallers = maxCallers;
    }

    /// <summary>Documents kept per caller.</summary>
    public int MaxDocumentsPerCaller { get; }

    /// <summary>Chunks kept per caller.</summary>
    public int MaxChunksPerCaller { get; }

    /// <summary>Callers kept at once.</summary>
    public int MaxCallers { get; }

    /// <summary>
    /// Adds <paramref name="document"/> for <paramref name="caller"/>, replacing one of the same name
    /// and dropping the caller's oldest documents until the bounds hold.
    /// </summary>
    /// <exception cref="ArgumentException">The document alone has more than <see cref="MaxChunksPerCaller"/> chunks.</exception>
    public void Add(string caller, StoredDocument document)
    {
        ArgumentException.ThrowIfNullOrEmpty(caller);
        ArgumentNullException.ThrowIfNull(document);
        if (document.Chunks.Count > MaxChunksPerCaller)
        {
            throw new ArgumentException($"The document has {document.Chunks.Count} chunks; a caller may keep at most {MaxChunksPerCaller}.", nameof(document));
        }

        lock (_gate)
        {
            var documents = Touch(caller, create: true)!.Documents;
            documents.RemoveAll(d => d.Name == document.Name);
            documents.Add(document);
            while (documents.Count > MaxDocumentsPerCaller || documents.Sum(d => d.Chunks.Count) > MaxChunksPerCaller)
            {
                documents.RemoveAt(0);
            }
        }
    }

    /// <summary><paramref name="caller"/>'s documents, oldest first.</summary>
    public IReadOnlyList<StoredDocument> Documents(string caller)
    {
        ArgumentException.ThrowIfNullOrEmpty(caller);
        lock (_gate)
        {
            return Touch(caller, create: false) is { } library ? [.. library.Documents] : [];
        }
    }

    /// <summary>
    /// The <paramref name="k"/> chunks of <paramref name="caller"/>'s documents most similar to
    /// <paramref name="query"/> by cosine similarity, most similar first.
    /// </summary>
    public IReadOnlyList<SearchHit> Search(string caller, ReadOnlySpan<float> query, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var hits = new List<SearchHit>();
        foreach (var document in Documents(caller))
        {
            foreach (var chunk in document.Chunks)
            {
                hits.Add(new SearchHit(chunk, CosineSimilarity(query, chunk.Vector.Span)));
            }
        }

        // Ties keep document order, so equal scores give a stable answer.
        return [.. hits.OrderByDescending(h => h.Score).Take(k)];
    }

    /// <summary>The cosine of the angle between <paramref name="a"/> and <paramref name="b"/>; 0 when either is zero.</summary>
    /// <exception cref="ArgumentException">The vectors differ in length, as embeddings of different deployments do.</exception>
    public static double CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Vectors of {a.Length} and {b.Length} dimensions cannot be compared; were they made by different embedding deployments?", nameof(b));
        }

        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
        }

        return normA == 0 || normB == 0 ? 0 : dot / Math.Sqrt(normA * normB);
    }

    private Library? Touch(string caller, bool create)
    {
        if (_byCaller.TryGetValue(caller, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value;
        }

        if (!create)
        {
            return null;
        }

        if (_byCaller.Count >= MaxCallers)
        {
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _byCaller.Remove(oldest.Value.Caller);
        }

        node = _recency.AddFirst(new Library(caller));
        _byCaller.Add(caller, node);
        return node.Value;
    }

    private sealed class Library(string caller)
    {
        public string Caller { get; } = caller;

        public List<StoredDocument> Documents { get; } = [];
    }
}
