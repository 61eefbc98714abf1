namespace SecureAoai.Overlay.Controller;

/// <summary>
/// What the controller tells an identity about itself: its name, role attributes, the services it may
/// dial and bind, and every router it may use (router policies applied), by name.
/// </summary>
internal sealed record ControllerSession(string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> DialServices, IReadOnlyList<string> BindServices, IReadOnlyList<SessionRouter> Routers);

/// <summary>A router an identity may use: its name, where to reach it (<c>HOST:PORT</c>) and its role attributes.</summary>
internal sealed record SessionRouter(string Name, string Address, IReadOnlyList<string> Roles);
