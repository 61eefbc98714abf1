using Microsoft.Extensions.AI;

namespace SecureAoai.Client.Internal;

/// <summary>The Microsoft.Extensions.AI middleware to add to every chat client and embedding generator, in the order configured.</summary>
internal sealed class AIClientPipelines
{
    public List<Action<ChatClientBuilder>> Chat { get; } = [];

    public List<Action<EmbeddingGeneratorBuilder<string, Embedding<float>>>> Embedding { get; } = [];
}
