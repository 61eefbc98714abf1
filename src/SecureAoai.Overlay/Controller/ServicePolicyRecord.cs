namespace SecureAoai.Overlay.Controller;

/// <summary>A Dial or Bind policy: identities matching <see cref="IdentityRoles"/> may dial/bind services matching <see cref="ServiceRoles"/>.</summary>
internal sealed record ServicePolicyRecord(
    string Id,
    string Name,
    ServicePolicyType Type,
    PolicySemantic Semantic,
    IReadOnlyList<string> IdentityRoles,
    IReadOnlyList<string> ServiceRoles);
