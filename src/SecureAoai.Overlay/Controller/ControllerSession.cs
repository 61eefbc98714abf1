namespace SecureAoai.Overlay.Controller;

/// <summary>What the controller tells an identity about itself: its name, role attributes and the services it may dial and bind.</summary>
internal sealed record ControllerSession(string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> DialServices, IReadOnlyList<string> BindServices, IReadOnlyList<string> Routers);
