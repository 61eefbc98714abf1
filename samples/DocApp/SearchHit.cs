namespace DocApp;

/// <summary>A chunk found for a question, with its cosine similarity to the question.</summary>
/// <param name="Chunk">The chunk.</param>
/// <param name="Score">Cosine similarity, from -1 to 1.</param>
public sealed record SearchHit(StoredChunk Chunk, double Score);
