using Microsoft.Extensions.DependencyInjection;

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
}
