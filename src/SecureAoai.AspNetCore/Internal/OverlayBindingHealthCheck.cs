using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>Healthy when every overlay binding is registered at the router; degraded while some are reconnecting.</summary>
internal sealed class OverlayBindingHealthCheck(OverlayBindings bindings, OverlayHostingOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = bindings.Snapshot();
        var data = snapshot.ToDictionary(b => b.Service, b => (object)(b.IsBound ? "bound" : "reconnecting"), StringComparer.Ordinal);
        var missing = options.Services.Where(s => !snapshot.Any(b => b.Service == s && b.IsBound)).ToList();
        if (missing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Bound: {string.Join(", ", options.Services)}.", data));
        }

        var description = snapshot.Count == 0
            ? "The overlay binding is not started (the server is not running)."
            : $"Not bound at the router (reconnecting): {string.Join(", ", missing)}.";
        var status = missing.Count < options.Services.Count ? HealthStatus.Degraded : context.Registration.FailureStatus;
        return Task.FromResult(new HealthCheckResult(status, description, data: data));
    }
}
