using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using SecureAoai.Client;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenAI clients wired for Entra ID and checked at start-up.</summary>
public static class SecureOpenAIServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="OpenAIClient"/>, and per configured deployment a <see cref="ChatClient"/> and
    /// an <see cref="IChatClient"/>, or an <see cref="EmbeddingClient"/> and an
    /// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of strings to <see cref="Embedding{T}"/> of
    /// <see cref="float"/> (each keyed by the deployment's name; unkeyed too when it is the only one of
    /// its kind), and <see cref="SecureOpenAIPipeline"/>, with options bound from
    /// <paramref name="configuration"/> and validated at start. Every client shares one secured
    /// transport and one token cache.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the settings, usually <c>configuration.GetSection("SecureOpenAI")</c>.</param>
    /// <returns>A builder for further configuration.</returns>
    public static SecureOpenAIBuilder AddSecureOpenAI(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SecureOpenAIOptions>().Bind(configuration);
        return AddCore(services);
    }

    /// <summary>Registers the clients with options set in code; see the overload taking configuration.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for further configuration.</returns>
    /// <example>
    /// <code>
    /// services.AddSecureOpenAI(o =>
    /// {
    ///     o.Endpoint = new Uri("https://contoso-east.openai.azure.com/");
    ///     o.Deployments["chat"] = new() { Name = "gpt-4o-mini" };
    /// });
    /// </code>
    /// </example>
    public static SecureOpenAIBuilder AddSecureOpenAI(this IServiceCollection services, Action<SecureOpenAIOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SecureOpenAIOptions>().Configure(configure);
        return AddCore(services);
    }

    private static SecureOpenAIBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<SecureOpenAIOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecureOpenAIOptions>, SecureOpenAIOptionsAttributeValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecureOpenAIOptions>, SecureOpenAIOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SecureOpenAIStartupCheck>());

        services.TryAddSingleton<SecureOpenAIRateLimits>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SecureOpenAITransport>();
        services.TryAddSingleton<SecureOpenAIClientFactory>();
        services.TryAddSingleton(sp => sp.GetRequiredService<SecureOpenAIClientFactory>().OpenAIClient);
        services.TryAddSingleton(sp => sp.GetRequiredService<SecureOpenAIClientFactory>().GetChatClient(null));
        services.TryAddSingleton(sp => sp.GetRequiredService<SecureOpenAIClientFactory>().GetEmbeddingClient(null));
        services.TryAddKeyedSingleton(KeyedService.AnyKey, (sp, key) => sp.GetRequiredService<SecureOpenAIClientFactory>().GetChatClient(KeyName(key)));
        services.TryAddKeyedSingleton(KeyedService.AnyKey, (sp, key) => sp.GetRequiredService<SecureOpenAIClientFactory>().GetEmbeddingClient(KeyName(key)));
        services.TryAddSingleton(sp => sp.GetRequiredService<SecureOpenAIClientFactory>().Pipeline);

        // Microsoft.Extensions.AI: the same deployments; the unkeyed one is the keyed one of the only deployment of its kind.
        services.TryAddKeyedSingleton(KeyedService.AnyKey, (sp, key) => AIClients.Chat(sp, KeyName(key)));
        services.TryAddKeyedSingleton(KeyedService.AnyKey, (sp, key) => AIClients.Embedding(sp, KeyName(key)));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IChatClient>(sp.GetRequiredService<SecureOpenAIClientFactory>().ChatKey(null, nameof(IChatClient))));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(
            sp.GetRequiredService<SecureOpenAIClientFactory>().EmbeddingKey(null, "IEmbeddingGenerator<string, Embedding<float>>")));
        return new SecureOpenAIBuilder(services);
    }

    private static string KeyName(object? key) =>
        key as string ?? throw new InvalidOperationException($"SecureOpenAI clients are keyed by deployment name (a string); got '{key}'.");
}
