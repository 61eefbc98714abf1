using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Health.Internal;

/// <summary>
/// Healthy when the credential chain can produce a token for every scope in use (from the cache when
/// it holds one): a gateway's audience can fail where Azure OpenAI's works. Never reports a token.
/// </summary>
internal sealed class CredentialHealthCheck(SecureOpenAIClientFactory factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (factory.TokenCaches.Count == 0)
        {
            return HealthCheckResult.Healthy("Every endpoint uses a key; there is no Entra ID token to check.");
        }

        var lines = new List<string>();
        foreach (var tokens in factory.TokenCaches)
        {
            try
            {
                var token = await tokens.GetTokenAsync(rejected: null, claims: null, cancellationToken).ConfigureAwait(false);
                lines.Add($"Entra ID token for scope '{tokens.Scope}' from {factory.Chain?.SelectedName ?? "the credential"}, valid until {token.Token.ExpiresOn:u}.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"No token for scope '{tokens.Scope}': {ex.Message}");
            }
        }

        return HealthCheckResult.Healthy(string.Join(Environment.NewLine, lines));
    }
}
