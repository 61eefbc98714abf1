using System.Security.Claims;
using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>Turns the overlay caller into a principal; fresh for every request, as handlers may add to it.</summary>
internal static class OverlayPrincipal
{
    public static ClaimsPrincipal Create(IOverlayConnectionFeature connection)
    {
        OverlayCaller caller = connection.Caller;
        var claims = new List<Claim>(2 + (2 * caller.Roles.Count))
        {
            new(ClaimTypes.Name, caller.Name, ClaimValueTypes.String, OverlayClaims.AuthenticationType),
            new(OverlayClaims.Service, connection.Service, ClaimValueTypes.String, OverlayClaims.AuthenticationType),
        };
        foreach (var role in caller.Roles)
        {
            claims.Add(new Claim(OverlayClaims.Role, role, ClaimValueTypes.String, OverlayClaims.AuthenticationType));
            claims.Add(new Claim(ClaimTypes.Role, role, ClaimValueTypes.String, OverlayClaims.AuthenticationType));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, OverlayClaims.AuthenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }
}
