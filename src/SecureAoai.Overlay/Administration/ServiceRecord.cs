namespace SecureAoai.Overlay;

/// <summary>A service: a name that can be dialed and bound, with role attributes.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name, which dialers and binders use.</param>
/// <param name="Roles">Its role attributes, without <c>#</c>.</param>
public sealed record ServiceRecord(string Id, string Name, IReadOnlyList<string> Roles);
