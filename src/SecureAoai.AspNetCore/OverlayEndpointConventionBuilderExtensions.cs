using SecureAoai.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Authorization by overlay role attribute.</summary>
public static class OverlayEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Lets only overlay callers holding one of <paramref name="roles"/> (role attributes, without the
    /// <c>#</c>) reach the endpoint: others get 403, and requests that did not come through the overlay
    /// get 401. Needs <c>builder.Services.AddAuthorization()</c> and <c>app.UseAuthorization()</c>;
    /// the policy authenticates with the <c>Overlay</c> scheme that <c>UseOverlay</c> registers.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="roles">The role attributes; any one of them is enough.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>
    /// app.MapGet("/", (ClaimsPrincipal caller) => $"hello {caller.Identity!.Name}").RequireOverlayRole("clients");
    /// </code>
    /// </example>
    public static TBuilder RequireOverlayRole<TBuilder>(this TBuilder builder, params string[] roles)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(roles);
        if (roles.Length == 0 || roles.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Name at least one role attribute, none of them empty.", nameof(roles));
        }

        var normalized = roles.Select(r => r.TrimStart('#')).ToArray();
        return builder.RequireAuthorization(policy => policy
            .AddAuthenticationSchemes(OverlayClaims.AuthenticationType)
            .RequireClaim(OverlayClaims.Role, normalized));
    }
}
