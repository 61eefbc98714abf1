namespace DocApp;

/// <summary>The answer to <c>POST /api/documents</c>.</summary>
/// <param name="Name">The document's name.</param>
/// <param name="Bytes">Its size as uploaded.</param>
/// <param name="Chunks">How many chunks it was split into.</param>
public sealed record DocumentSummary(string Name, long Bytes, int Chunks);

/// <summary>The body of <c>POST /api/ask</c>.</summary>
/// <param name="Question">The question; at most <see cref="DocAppLimits.MaxQuestionChars"/> characters.</param>
public sealed record AskRequest(string? Question);

/// <summary>The answer to <c>POST /api/ask</c>.</summary>
/// <param name="Answer">The model's answer, which refers to citations as [1], [2]...</param>
/// <param name="Citations">The chunks given to the model, most similar to the question first.</param>
public sealed record AskResponse(string Answer, IReadOnlyList<Citation> Citations);

/// <summary>A chunk an answer was drawn from.</summary>
/// <param name="Number">How the answer refers to it: [1] is number 1.</param>
/// <param name="ChunkIndex">Its position in its document, from 0.</param>
/// <param name="DocumentName">Its document.</param>
/// <param name="Excerpt">Its start, at most <see cref="DocAppLimits.MaxExcerptChars"/> characters.</param>
/// <param name="Score">Its cosine similarity to the question.</param>
public sealed record Citation(int Number, int ChunkIndex, string DocumentName, string Excerpt, double Score);
