namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>A data-plane operation as Azure names it in rate-limit errors (its operation id).</summary>
internal sealed record DataAction(string OperationId)
{
    public static readonly DataAction ChatCompletions = new("ChatCompletions_Create");

    public static readonly DataAction Embeddings = new("Embeddings_Create");
}
