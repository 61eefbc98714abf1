namespace SecureAoai.Overlay.Controller;

/// <summary>A router policy: identities matching <see cref="IdentityRoles"/> may connect to routers matching <see cref="RouterRoles"/>.</summary>
internal sealed record RouterPolicyRecord(
    string Id,
    string Name,
    PolicySemantic Semantic,
    IReadOnlyList<string> IdentityRoles,
    IReadOnlyList<string> RouterRoles);
