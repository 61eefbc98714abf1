using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Health.Internal;

/// <summary>Healthy when every endpoint's name resolves to addresses its network policy allows (the verdict the SDK would use).</summary>
internal sealed class NetworkHealthCheck(EndpointTable table) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lines = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var failed = false;
        foreach (var endpoint in table.Endpoints)
        {
            if (endpoint.Guard is not { } guard)
            {
                lines.Add($"{endpoint.Name}: reached through a connector (no DNS, no network policy).");
                data[endpoint.Name] = "connector";
                continue;
            }

            try
            {
                var verdict = await guard.VerifyAsync(endpoint.BaseUri.IdnHost, cancellationToken).ConfigureAwait(false);
                lines.Add($"{endpoint.Name}: {verdict.ChainText}{(verdict.PublicFallback ? " (public fallback)" : "")}");
                data[endpoint.Name] = "allowed";
            }
            catch (EndpointNetworkException ex)
            {
                failed = true;
                lines.Add($"{endpoint.Name}: {ex.Message}");
                data[endpoint.Name] = ex.Reason.ToString();
            }
        }

        var description = string.Join(Environment.NewLine, lines);
        return failed ? new HealthCheckResult(context.Registration.FailureStatus, description, data: data) : HealthCheckResult.Healthy(description, data);
    }
}
