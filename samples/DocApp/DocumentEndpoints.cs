using System.Text;
using Microsoft.Extensions.AI;

namespace DocApp;

/// <summary>The document app's API: upload, list, and ask with citations.</summary>
internal static partial class DocumentEndpoints
{
    internal const string SystemPrompt =
        "Answer the question using only the numbered excerpts. Cite each excerpt you use as [n]. " +
        "If the excerpts do not contain the answer, say so.";

    /// <summary><c>POST /api/documents</c>: reads, chunks and embeds a document and keeps it for the caller.</summary>
    public static async Task<IResult> UploadAsync(HttpContext context, IEmbeddingGenerator<string, Embedding<float>> embeddings, DocumentStore store, ILogger<DocumentStore> logger)
    {
        var cancellationToken = context.RequestAborted;
        var (name, bytes, refusal) = await DocumentUpload.ReadAsync(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var (text, undecodable) = DocumentUpload.Decode(name, bytes);
        if (undecodable is not null)
        {
            return undecodable;
        }

        var pieces = TextChunker.Split(text!);
        if (pieces.Count > store.MaxChunksPerCaller)
        {
            return Results.Problem($"'{name}' splits into {pieces.Count} chunks; the limit is {store.MaxChunksPerCaller}.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var chunks = new List<StoredChunk>(pieces.Count);
        foreach (var batch in pieces.Chunk(DocAppLimits.EmbeddingBatchSize))
        {
            var vectors = await embeddings.GenerateAsync(batch, cancellationToken: cancellationToken);
            foreach (var vector in vectors)
            {
                var index = chunks.Count;
                chunks.Add(new StoredChunk(name, index, pieces[index], vector.Vector));
            }
        }

        var caller = Caller.From(context.User);
        store.Add(caller.Name, new StoredDocument(name, bytes.Length, chunks));
        LogStored(logger, chunks.Count, bytes.Length);
        var summary = new DocumentSummary(name, bytes.Length, chunks.Count);
        return Results.Created($"/api/documents/{Uri.EscapeDataString(name)}", summary);
    }

    /// <summary><c>GET /api/documents</c>: the caller's documents.</summary>
    public static IReadOnlyList<DocumentSummary> List(HttpContext context, DocumentStore store) =>
        [.. store.Documents(Caller.From(context.User).Name).Select(d => new DocumentSummary(d.Name, d.Bytes, d.Chunks.Count))];

    /// <summary>
    /// <c>POST /api/ask</c>: embeds the question, takes the <see cref="DocAppLimits.TopK"/> chunks of
    /// the caller's documents most similar to it, and asks the model to answer from them.
    /// </summary>
    public static async Task<IResult> AskAsync(HttpContext context, AskRequest? request, IEmbeddingGenerator<string, Embedding<float>> embeddings, IChatClient chat, DocumentStore store)
    {
        var question = request?.Question?.Trim();
        if (string.IsNullOrEmpty(question))
        {
            return Results.Problem("The question is empty. Send {\"question\": \"...\"}.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (question.Length > DocAppLimits.MaxQuestionChars)
        {
            return Results.Problem($"The question has {question.Length} characters; the limit is {DocAppLimits.MaxQuestionChars}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var caller = Caller.From(context.User);
        if (store.Documents(caller.Name).Count == 0)
        {
            return Results.Problem("There are no documents to answer from. Upload one first.", statusCode: StatusCodes.Status409Conflict);
        }

        var cancellationToken = context.RequestAborted;
        var queryVector = await embeddings.GenerateVectorAsync(question, cancellationToken: cancellationToken);
        var hits = store.Search(caller.Name, queryVector.Span, DocAppLimits.TopK);

        var prompt = new StringBuilder("Excerpts:\n");
        for (var i = 0; i < hits.Count; i++)
        {
            var chunk = hits[i].Chunk;
            prompt.Append('[').Append(i + 1).Append("] (").Append(chunk.DocumentName).Append(", chunk ").Append(chunk.ChunkIndex).Append(")\n")
                .Append(chunk.Text).Append("\n\n");
        }

        prompt.Append("Question: ").Append(question);
        var completion = await chat.GetResponseAsync([new(ChatRole.System, SystemPrompt), new(ChatRole.User, prompt.ToString())], cancellationToken: cancellationToken);
        var answer = completion.Text;

        var citations = hits.Select((hit, i) => new Citation(i + 1, hit.Chunk.ChunkIndex, hit.Chunk.DocumentName, Excerpt(hit.Chunk.Text), Math.Round(hit.Score, 4))).ToList();
        return Results.Ok(new AskResponse(answer, citations));
    }

    private static string Excerpt(string text) =>
        text.Length <= DocAppLimits.MaxExcerptChars ? text : string.Concat(text.AsSpan(0, DocAppLimits.MaxExcerptChars - 1), "…");

    // Sizes only: a document's name or text may be private.
    [LoggerMessage(Level = LogLevel.Information, Message = "Stored a document of {Bytes} bytes in {Chunks} chunks.")]
    private static partial void LogStored(ILogger logger, int chunks, int bytes);
}
