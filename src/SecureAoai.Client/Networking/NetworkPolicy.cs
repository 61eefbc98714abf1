namespace SecureAoai.Client.Networking;

/// <summary>Which addresses an endpoint may be reached at, checked before a byte is sent.</summary>
public enum NetworkPolicy
{
    /// <summary>
    /// Only private (RFC 1918, 100.64.0.0/10, fc00::/7) or loopback addresses. One public or
    /// link-local address in the answer refuses the endpoint. The default: a private endpoint that
    /// silently resolves to the public one is the failure this setting exists to catch.
    /// </summary>
    RequirePrivate,

    /// <summary>Private or loopback addresses when the answer has any; otherwise public ones, with a warning.</summary>
    PreferPrivate,

    /// <summary>Any routable address, private ones first. For resources without a private endpoint.</summary>
    AllowPublic,
}
