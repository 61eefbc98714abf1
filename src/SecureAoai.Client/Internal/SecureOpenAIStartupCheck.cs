using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Builds the clients when the host starts, so a bad configuration (unreadable CA file, unknown
/// credential source) fails the start rather than the first request, and logs what is in effect.
/// </summary>
internal sealed class SecureOpenAIStartupCheck(
    SecureOpenAIClientFactory factory,
    IOptions<SecureOpenAIOptions> options,
    ILogger<SecureOpenAIStartupCheck> logger,
    IHostEnvironment? environment = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Log.Configured(logger, factory.Endpoint.ToString(), factory.UrlStyle, factory.Authentication);
        var environmentName = environment?.EnvironmentName ?? Environments.Production;
        if (!string.IsNullOrEmpty(options.Value.ApiKey) && environmentName == Environments.Production)
        {
            Log.ApiKeyInProduction(logger, environmentName);
        }

        if (options.Value.AllowSubscriptionKey && environmentName == Environments.Production
            && (!string.IsNullOrEmpty(options.Value.SubscriptionKey) || options.Value.Endpoints.Any(e => !string.IsNullOrEmpty(e.SubscriptionKey))))
        {
            Log.SubscriptionKeyInProduction(logger, environmentName);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
