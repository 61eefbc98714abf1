namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>The RBAC data action a data-plane operation needs, and how Azure names the operation in errors.</summary>
internal sealed record DataAction(string Action, string Operation)
{
    public static readonly DataAction ChatCompletions = new(
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
        "POST /openai/deployments/{deployment-id}/chat/completions");

    public static readonly DataAction Embeddings = new(
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action",
        "POST /openai/deployments/{deployment-id}/embeddings");

    public static readonly DataAction ListModels = new(
        "Microsoft.CognitiveServices/accounts/OpenAI/models/read",
        "GET /openai/models");
}
