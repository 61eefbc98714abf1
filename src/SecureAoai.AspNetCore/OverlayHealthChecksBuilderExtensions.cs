using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.AspNetCore.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health of the app's overlay bindings.</summary>
public static class OverlayHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that is Healthy when every service bound by <c>UseOverlay</c> is registered at the
    /// router, Degraded while some of them are reconnecting, and <paramref name="failureStatus"/> while
    /// none is (reconnecting, or the server not started). Needs <c>UseOverlay</c> on the web host.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. The default value is <c>overlay</c>.</param>
    /// <param name="failureStatus">The status when no binding is live. The default value (<see langword="null"/>) means <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, if any.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddHealthChecks().AddOverlayBinding();
    /// app.MapHealthChecks("/healthz");
    /// </code>
    /// </example>
    public static IHealthChecksBuilder AddOverlayBinding(this IHealthChecksBuilder builder, string name = "overlay", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.AddCheck<OverlayBindingHealthCheck>(name, failureStatus ?? HealthStatus.Unhealthy, tags ?? []);
    }
}
