namespace SecureAoai.Overlay.Controller;

/// <summary>A service: a name that can be dialed and bound, with role attributes.</summary>
internal sealed record ServiceRecord(string Id, string Name, IReadOnlyList<string> Roles);
