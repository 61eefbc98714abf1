namespace SecureAoai.Overlay;

/// <summary>Who dialed a bound service: the identity's name and role attributes, as the controller knows them.</summary>
/// <param name="Name">The identity's name.</param>
/// <param name="Roles">Its role attributes, without the leading <c>#</c>.</param>
public sealed record OverlayCaller(string Name, IReadOnlyList<string> Roles);
