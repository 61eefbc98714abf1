namespace DocApp;

/// <summary>An uploaded document, chunked and embedded.</summary>
/// <param name="Name">Its name, unique per caller: a new upload of the same name replaces it.</param>
/// <param name="Bytes">Its size as uploaded.</param>
/// <param name="Chunks">Its chunks in document order.</param>
public sealed record StoredDocument(string Name, long Bytes, IReadOnlyList<StoredChunk> Chunks);
