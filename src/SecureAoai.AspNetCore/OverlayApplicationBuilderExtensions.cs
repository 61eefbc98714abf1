using SecureAoai.AspNetCore;
using SecureAoai.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Middleware that makes the overlay caller the request's user.</summary>
public static class OverlayApplicationBuilderExtensions
{
    /// <summary>
    /// Sets <c>HttpContext.User</c>, on requests that came through the overlay, to the caller: a
    /// principal of authentication type <c>Overlay</c> whose <c>Name</c> is the identity's name, with an
    /// <see cref="OverlayClaims.Role"/> and a <c>ClaimTypes.Role</c> claim per role attribute (so
    /// <c>User.IsInRole("clients")</c> works) and an <see cref="OverlayClaims.Service"/> claim. Other requests are left as they are.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    /// <example>
    /// <code>
    /// app.UseOverlayIdentity();
    /// app.MapGet("/", (ClaimsPrincipal caller) => $"hello {caller.Identity!.Name}");
    /// </code>
    /// </example>
    public static IApplicationBuilder UseOverlayIdentity(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<OverlayIdentityMiddleware>();
    }
}
