namespace SecureAoai.Overlay;

/// <summary>
/// A router policy: identities matching <paramref name="IdentityRoles"/> may use routers matching
/// <paramref name="RouterRoles"/>. While an overlay has no router policy at all, every identity may use
/// every router; once it has one, only the policies decide.
/// </summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Semantic">Whether any or all of each role list must match.</param>
/// <param name="IdentityRoles">Role expressions selecting identities: <c>#attribute</c>, <c>@name</c>, <c>#all</c>.</param>
/// <param name="RouterRoles">Role expressions selecting routers.</param>
public sealed record RouterPolicyRecord(
    string Id,
    string Name,
    PolicySemantic Semantic,
    IReadOnlyList<string> IdentityRoles,
    IReadOnlyList<string> RouterRoles);
