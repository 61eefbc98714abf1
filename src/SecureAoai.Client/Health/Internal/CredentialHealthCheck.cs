using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Health.Internal;

/// <summary>Healthy when the credential chain can produce a token (from the cache when it holds one). Never reports the token.</summary>
internal sealed class CredentialHealthCheck(SecureOpenAIClientFactory factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (factory.TokenPolicy is not { } tokens)
        {
            return HealthCheckResult.Healthy("An API key is in use; there is no Entra ID token to check.");
        }

        try
        {
            var token = await tokens.GetTokenAsync(rejected: null, claims: null, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(
                $"Entra ID token from {factory.Chain?.SelectedName ?? "the credential"}, valid until {token.Token.ExpiresOn:u}.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message);
        }
    }
}
