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
}
