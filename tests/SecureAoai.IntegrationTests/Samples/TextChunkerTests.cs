using DocApp;

namespace SecureAoai.IntegrationTests.Samples;

public sealed class TextChunkerTests
{
    [Fact]
    public void Split_MarkdownSections_StartsAChunkAtEachHeading()
    {
        var chunks = TextChunker.Split("## One\nfirst\n\n## Two\nsecond\n\nmore of two\n\n## Three\nthird", maxChunkChars: 100, overlapChars: 10);

        Assert.Equal(["## One\nfirst", "## Two\nsecond\n\nmore of two", "## Three\nthird"], chunks);
    }

    [Fact]
    public void Split_LongSection_KeepsEveryChunkWithinTheLimitAndOverlapsNeighbours()
    {
        var paragraphs = Enumerable.Range(0, 30).Select(i => $"Paragraph {i} talks about topic {i} at some length.");
        var text = string.Join("\n\n", paragraphs);

        var chunks = TextChunker.Split(text, maxChunkChars: 200, overlapChars: 40);

        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 200));
        foreach (var (previous, next) in chunks.Zip(chunks.Skip(1)))
        {
            var lastWords = previous[^20..];
            Assert.Contains(lastWords.Trim(), next, StringComparison.Ordinal);
        }

        Assert.All(paragraphs, p => Assert.Contains(chunks, c => c.Contains(p, StringComparison.Ordinal)));
    }

    [Fact]
    public void Split_ParagraphLongerThanAChunk_IsCutIntoOverlappingWindows()
    {
        var words = string.Join(' ', Enumerable.Range(0, 200).Select(i => $"w{i}"));

        var chunks = TextChunker.Split(words, maxChunkChars: 100, overlapChars: 20);

        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 100));
        Assert.StartsWith("w0 ", chunks[0], StringComparison.Ordinal);
        Assert.EndsWith("w199", chunks[^1], StringComparison.Ordinal);
        Assert.All(Enumerable.Range(0, 200), i => Assert.Contains(chunks, c => c.Split(' ').Contains($"w{i}")));
    }

    [Fact]
    public void Split_BlankText_HasNoChunks()
    {
        Assert.Empty(TextChunker.Split(" \n\n \r\n\t"));
    }
}
