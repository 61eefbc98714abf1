using System.Security.Claims;

namespace DocApp;

/// <summary>Who is calling, as the host's authentication set <see cref="HttpContext.User"/>.</summary>
/// <param name="Name">The caller's name, or <see cref="AnonymousName"/>.</param>
/// <param name="Roles">The caller's roles.</param>
/// <param name="IsAuthenticated">Whether the host authenticated the caller.</param>
public sealed record Caller(string Name, IReadOnlyList<string> Roles, bool IsAuthenticated)
{
    /// <summary>The name of every unauthenticated caller; they share one library of documents.</summary>
    public const string AnonymousName = "anonymous";

    /// <summary>Reads the caller from <paramref name="user"/>.</summary>
    public static Caller From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not ClaimsIdentity { IsAuthenticated: true } identity || string.IsNullOrEmpty(identity.Name))
        {
            return new Caller(AnonymousName, [], false);
        }

        string[] roles = [.. user.Identities.SelectMany(i => i.FindAll(i.RoleClaimType)).Select(c => c.Value).Distinct(StringComparer.Ordinal)];
        return new Caller(identity.Name, roles, true);
    }
}
