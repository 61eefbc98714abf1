namespace SecureAoai.Overlay.Crypto;

/// <summary>What a grant entitles its holder to do with a service.</summary>
internal enum GrantKind
{
    /// <summary>Host the service: a dialer accepts the holder as the far end of its dial.</summary>
    Bind = 1,

    /// <summary>Use the service: a binder accepts the holder as the caller, with the grant's name and roles.</summary>
    Dial = 2,
}
