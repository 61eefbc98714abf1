using DocApp;

namespace SecureAoai.IntegrationTests.Samples;

public sealed class DocumentStoreTests
{
    [Fact]
    public void Search_RanksChunksByCosineSimilarity()
    {
        var store = new DocumentStore();
        store.Add("alice", Document("a.md", [1, 0, 0], [0, 1, 0], [0.7f, 0.7f, 0], [-1, 0, 0]));

        var hits = store.Search("alice", [2, 1, 0], k: 3);

        Assert.Equal([2, 0, 1], hits.Select(h => h.Chunk.ChunkIndex));
        Assert.Equal(Math.Sqrt(0.9), hits[0].Score, precision: 6);
    }

    [Fact]
    public void Search_TwoCallers_SearchOnlyTheirOwnDocuments()
    {
        var store = new DocumentStore();
        store.Add("alice", Document("alice.md", [1, 0]));
        store.Add("bob", Document("bob.md", [1, 0]));

        Assert.Equal(["alice.md"], store.Search("alice", [1, 0], k: 5).Select(h => h.Chunk.DocumentName));
        Assert.Empty(store.Search("mallory", [1, 0], k: 5));
    }

    [Fact]
    public void Add_PastMaxChunksPerCaller_DropsTheOldestDocuments()
    {
        var store = new DocumentStore(maxDocumentsPerCaller: 10, maxChunksPerCaller: 3, maxCallers: 5);
        store.Add("alice", Document("old.md", [1, 0], [1, 0]));
        store.Add("alice", Document("new.md", [1, 0], [1, 0]));

        Assert.Equal(["new.md"], store.Documents("alice").Select(d => d.Name));
    }

    [Fact]
    public void Add_SameName_ReplacesTheDocument()
    {
        var store = new DocumentStore();
        store.Add("alice", Document("a.md", [1, 0]));
        store.Add("alice", Document("a.md", [1, 0], [0, 1]));

        Assert.Equal(2, Assert.Single(store.Documents("alice")).Chunks.Count);
    }

    [Fact]
    public void CosineSimilarity_DifferentDimensions_Throws()
    {
        Assert.Throws<ArgumentException>(() => DocumentStore.CosineSimilarity([1, 0], [1, 0, 0]));
    }

    private static StoredDocument Document(string name, params float[][] vectors) =>
        new(name, 10, [.. vectors.Select((v, i) => new StoredChunk(name, i, $"chunk {i}", v))]);
}
