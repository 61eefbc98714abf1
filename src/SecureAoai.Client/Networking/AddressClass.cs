namespace SecureAoai.Client.Networking;

/// <summary>What kind of network an address belongs to.</summary>
public enum AddressClass
{
    /// <summary>A private network: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 (shared address space), fc00::/7.</summary>
    Private,

    /// <summary>This machine: 127.0.0.0/8, ::1.</summary>
    Loopback,

    /// <summary>The local link only: 169.254.0.0/16, fe80::/10.</summary>
    LinkLocal,

    /// <summary>Any other unicast address: reachable over the internet.</summary>
    Public,

    /// <summary>Not a destination: unspecified (0.0.0.0/8, ::), multicast, broadcast, or 240.0.0.0/4. Never connected to.</summary>
    Reserved,
}
