namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The RBAC data action a data-plane operation needs, how Azure names the operation in permission
/// errors, and its operation id (named in rate-limit errors).
/// </summary>
internal sealed record DataAction(string Action, string Operation, string OperationId)
{
    public static readonly DataAction ChatCompletions = new(
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
        "POST /openai/deployments/{deployment-id}/chat/completions",
        "ChatCompletions_Create");

    public static readonly DataAction Embeddings = new(
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action",
        "POST /openai/deployments/{deployment-id}/embeddings",
        "Embeddings_Create");

    public static readonly DataAction ListModels = new(
        "Microsoft.CognitiveServices/accounts/OpenAI/models/read",
        "GET /openai/models",
        "Models_List");
}
