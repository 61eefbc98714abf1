using ChatApp;

namespace SecureAoai.IntegrationTests.Samples;

public sealed class ConversationStoreTests
{
    [Fact]
    public void History_TwoCallers_EachSeesOnlyItsOwnConversation()
    {
        var store = new ConversationStore();

        store.Append("alice", new ChatTurn(ChatTurn.User, "alice asks"), new ChatTurn(ChatTurn.Assistant, "to alice"));
        store.Append("bob", new ChatTurn(ChatTurn.User, "bob asks"), new ChatTurn(ChatTurn.Assistant, "to bob"));

        Assert.Equal(["alice asks", "to alice"], store.History("alice").Select(t => t.Text));
        Assert.Equal(["bob asks", "to bob"], store.History("bob").Select(t => t.Text));
        Assert.Empty(store.History("mallory"));
    }

    [Fact]
    public void Append_PastMaxMessages_DropsTheOldestMessages()
    {
        var store = new ConversationStore(maxMessagesPerConversation: 4, maxConversations: 10);

        for (var i = 0; i < 5; i++)
        {
            store.Append("alice", new ChatTurn(ChatTurn.User, $"q{i}"), new ChatTurn(ChatTurn.Assistant, $"a{i}"));
        }

        Assert.Equal(["q3", "a3", "q4", "a4"], store.History("alice").Select(t => t.Text));
    }

    [Fact]
    public void Append_PastMaxConversations_DropsTheLeastRecentlyUsed()
    {
        var store = new ConversationStore(maxMessagesPerConversation: 4, maxConversations: 2);
        store.Append("alice", new ChatTurn(ChatTurn.User, "q"), new ChatTurn(ChatTurn.Assistant, "a"));
        store.Append("bob", new ChatTurn(ChatTurn.User, "q"), new ChatTurn(ChatTurn.Assistant, "a"));
        store.Append("alice", new ChatTurn(ChatTurn.User, "again"), new ChatTurn(ChatTurn.Assistant, "a"));

        store.Append("carol", new ChatTurn(ChatTurn.User, "q"), new ChatTurn(ChatTurn.Assistant, "a"));

        Assert.Equal(2, store.Count);
        Assert.Empty(store.History("bob"));
        Assert.Equal(4, store.History("alice").Count);
        Assert.Equal(2, store.History("carol").Count);
    }

    [Fact]
    public void Clear_OneCaller_LeavesTheOthers()
    {
        var store = new ConversationStore();
        store.Append("alice", new ChatTurn(ChatTurn.User, "q"), new ChatTurn(ChatTurn.Assistant, "a"));
        store.Append("bob", new ChatTurn(ChatTurn.User, "q"), new ChatTurn(ChatTurn.Assistant, "a"));

        store.Clear("alice");

        Assert.Empty(store.History("alice"));
        Assert.Equal(2, store.History("bob").Count);
    }
}
