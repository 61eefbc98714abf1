namespace SecureAoai.AspNetCore;

/// <summary>The names the overlay gives the caller's identity in ASP.NET Core's claims and authentication.</summary>
public static class OverlayClaims
{
    /// <summary>The authentication type of the principal and the name of the authentication scheme: <c>Overlay</c>.</summary>
    public const string AuthenticationType = "Overlay";

    /// <summary>The claim type of each of the caller's role attributes (without the <c>#</c>): <c>overlay:role</c>. Each role is also a <see cref="System.Security.Claims.ClaimTypes.Role"/> claim.</summary>
    public const string Role = "overlay:role";

    /// <summary>The claim type of the service the caller dialed: <c>overlay:service</c>.</summary>
    public const string Service = "overlay:service";
}
