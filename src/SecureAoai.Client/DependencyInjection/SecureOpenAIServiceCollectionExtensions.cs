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
    /// Registers <see cref="OpenAIClient"/>, and a <see cref="ChatClient"/> or <see cref="EmbeddingClient"/>
    /// per configured deployment (keyed by its name; unkeyed too when it is the only one of its kind),
    /// with options bound from <paramref name="configuration"/> and validated at start.
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
        return new SecureOpenAIBuilder(services);
    }

    private static string KeyName(object? key) =>
        key as string ?? throw new InvalidOperationException($"SecureOpenAI clients are keyed by deployment name (a string); got '{key}'.");
}
