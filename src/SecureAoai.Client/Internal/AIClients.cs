using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> and <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
/// for a deployment: the deployment's secured OpenAI client behind Microsoft.Extensions.AI's adapter,
/// then the middleware configured with <c>ConfigureChatClient</c> or <c>ConfigureEmbeddingGenerator</c>
/// (none by default, so nothing is added to a request's path unless asked for).
/// </summary>
internal static class AIClients
{
    public static IChatClient Chat(IServiceProvider services, string key)
    {
        var builder = services.GetRequiredService<SecureOpenAIClientFactory>().GetChatClient(key).AsIChatClient().AsBuilder();
        foreach (var configure in services.GetRequiredService<IOptions<AIClientPipelines>>().Value.Chat)
        {
            configure(builder);
        }

        return builder.Build(services);
    }

    public static IEmbeddingGenerator<string, Embedding<float>> Embedding(IServiceProvider services, string key)
    {
        var builder = services.GetRequiredService<SecureOpenAIClientFactory>().GetEmbeddingClient(key).AsIEmbeddingGenerator().AsBuilder();
        foreach (var configure in services.GetRequiredService<IOptions<AIClientPipelines>>().Value.Embedding)
        {
            configure(builder);
        }

        return builder.Build(services);
    }
}
