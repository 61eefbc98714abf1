namespace DocApp;

/// <summary>A chunk of a document with its embedding.</summary>
/// <param name="DocumentName">The document it comes from.</param>
/// <param name="ChunkIndex">Its position in the document, from 0.</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="Vector">Its embedding.</param>
public sealed record StoredChunk(string DocumentName, int ChunkIndex, string Text, ReadOnlyMemory<float> Vector);
