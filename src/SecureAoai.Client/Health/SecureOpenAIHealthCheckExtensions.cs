using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.Client.Health.Internal;
using SecureAoai.Client.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks for the path to Azure OpenAI.</summary>
public static class SecureOpenAIHealthCheckExtensions
{
    /// <summary>
    /// Adds two checks: <c>secureopenai-credential</c> (the credential chain can produce a token,
    /// from the cache when it holds one) and <c>secureopenai-network</c> (every endpoint resolves to
    /// addresses its network policy allows). Neither sends a request to Azure OpenAI; neither reports a token.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="failureStatus">The status a failing check reports. The default value is <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags for both checks, such as "ready". The default value is none.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddSecureOpenAI(this IHealthChecksBuilder builder, HealthStatus failureStatus = HealthStatus.Unhealthy, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var tagList = tags?.ToArray() ?? [];
        builder.Add(new HealthCheckRegistration("secureopenai-credential", sp => new CredentialHealthCheck(sp.GetRequiredService<SecureOpenAIClientFactory>()), failureStatus, tagList));
        builder.Add(new HealthCheckRegistration("secureopenai-network", sp => new NetworkHealthCheck(sp.GetRequiredService<SecureOpenAITransport>().Endpoints), failureStatus, tagList));
        return builder;
    }
}
