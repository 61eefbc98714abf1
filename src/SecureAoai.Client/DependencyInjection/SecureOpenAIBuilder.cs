using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client;

/// <summary>Returned by <c>AddSecureOpenAI</c> so further configuration can be chained.</summary>
public sealed class SecureOpenAIBuilder
{
    internal SecureOpenAIBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the clients are registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Changes the options after they are bound from configuration.</summary>
    /// <param name="configure">Called with the bound options.</param>
    /// <returns>This builder.</returns>
    public SecureOpenAIBuilder Configure(Action<SecureOpenAIOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Authenticates with <paramref name="credential"/> instead of the configured chain. Tokens are
    /// still cached and refreshed ahead of expiry.
    /// </summary>
    /// <param name="credential">The credential, for example one of Azure.Identity's.</param>
    /// <returns>This builder.</returns>
    public SecureOpenAIBuilder UseCredential(Azure.Core.TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return Configure(o => o.Credential.TokenCredential = credential);
    }

    /// <summary>
    /// Reaches the endpoints <paramref name="connector"/> handles through it (for example over an
    /// overlay network) instead of a TCP connection to a resolved address.
    /// </summary>
    /// <param name="connector">The connector.</param>
    /// <returns>This builder.</returns>
    public SecureOpenAIBuilder UseConnector(Networking.SecureOpenAIConnector connector)
    {
        ArgumentNullException.ThrowIfNull(connector);
        return Configure(o => o.Connector = connector);
    }

    /// <summary>
    /// Adds Microsoft.Extensions.AI middleware to every <see cref="IChatClient"/> that <c>AddSecureOpenAI</c>
    /// registers (keyed and unkeyed), as <c>AddChatClient(...)</c> returns a builder to chain on. The
    /// middleware wraps the secured client, so failover and telemetry still apply to each request.
    /// Called once per deployment when its client is first resolved; several calls add in order.
    /// By default no middleware is added.
    /// </summary>
    /// <param name="configure">Adds middleware, for example <c>b =&gt; b.UseOpenTelemetry().UseLogging()</c>.</param>
    /// <returns>This builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddSecureOpenAI()
    ///     .ConfigureChatClient(chat => chat.UseOpenTelemetry(configure: o => o.EnableSensitiveData = false).UseLogging())
    ///     .ConfigureEmbeddingGenerator(embeddings => embeddings.UseOpenTelemetry());
    /// </code>
    /// </example>
    public SecureOpenAIBuilder ConfigureChatClient(Action<ChatClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<AIClientPipelines>(pipelines => pipelines.Chat.Add(configure));
        return this;
    }

    /// <summary>
    /// Adds Microsoft.Extensions.AI middleware to every <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
    /// that <c>AddSecureOpenAI</c> registers; see <see cref="ConfigureChatClient"/>. By default no middleware is added.
    /// </summary>
    /// <param name="configure">Adds middleware, for example <c>b =&gt; b.UseOpenTelemetry().UseLogging()</c>.</param>
    /// <returns>This builder.</returns>
    public SecureOpenAIBuilder ConfigureEmbeddingGenerator(Action<EmbeddingGeneratorBuilder<string, Embedding<float>>> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<AIClientPipelines>(pipelines => pipelines.Embedding.Add(configure));
        return this;
    }
}
