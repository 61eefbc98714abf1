namespace SecureAoai.Overlay;

/// <summary>A Dial or Bind policy: identities matching <paramref name="IdentityRoles"/> may dial or bind services matching <paramref name="ServiceRoles"/>.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Type">Whether it lets identities dial (use) or bind (host) the services.</param>
/// <param name="Semantic">Whether any or all of each role list must match.</param>
/// <param name="IdentityRoles">Role expressions selecting identities: <c>#attribute</c>, <c>@name</c>, <c>#all</c>.</param>
/// <param name="ServiceRoles">Role expressions selecting services.</param>
public sealed record ServicePolicyRecord(
    string Id,
    string Name,
    ServicePolicyType Type,
    PolicySemantic Semantic,
    IReadOnlyList<string> IdentityRoles,
    IReadOnlyList<string> ServiceRoles);
