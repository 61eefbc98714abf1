namespace DocApp;

/// <summary>The document app's bounds: upload size, chunking, retrieval and memory.</summary>
public static class DocAppLimits
{
    /// <summary>The largest document accepted, in bytes (1 MiB).</summary>
    public const int MaxDocumentBytes = 1024 * 1024;

    /// <summary>What a multipart upload may add to the document for its boundaries and headers, in bytes.</summary>
    public const int MaxMultipartOverheadBytes = 16 * 1024;

    /// <summary>The most pages read from a PDF.</summary>
    public const int MaxPdfPages = 500;

    /// <summary>The longest chunk, in characters.</summary>
    public const int ChunkChars = 1000;

    /// <summary>How much of a chunk's end is repeated at the start of the next one in the same section, in characters.</summary>
    public const int ChunkOverlapChars = 150;

    /// <summary>Chunks sent to the embedding deployment in one request.</summary>
    public const int EmbeddingBatchSize = 64;

    /// <summary>Chunks cited in an answer.</summary>
    public const int TopK = 3;

    /// <summary>The longest question, in characters.</summary>
    public const int MaxQuestionChars = 2000;

    /// <summary>The longest excerpt of a chunk returned with a citation, in characters.</summary>
    public const int MaxExcerptChars = 280;

    /// <summary>Documents kept per caller; the oldest is dropped first.</summary>
    public const int MaxDocumentsPerCaller = 20;

    /// <summary>Chunks kept per caller across their documents; the oldest documents are dropped to make room.</summary>
    public const int MaxChunksPerCaller = 2000;

    /// <summary>Callers whose documents are kept at once; the one used least recently is dropped first.</summary>
    public const int MaxCallers = 20;

    /// <summary>The longest document name kept, in characters.</summary>
    public const int MaxDocumentNameChars = 200;
}
