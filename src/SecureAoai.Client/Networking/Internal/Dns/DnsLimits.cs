namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>Every bound the DNS codec and stub resolver enforce, in one place.</summary>
internal static class DnsLimits
{
    /// <summary>Largest UDP message without EDNS (RFC 1035 section 4.2.1): 512 bytes.</summary>
    public const int MaxUdpMessageBytesWithoutEdns = 512;

    /// <summary>
    /// The UDP payload size our queries advertise in their EDNS0 OPT record: 1232 bytes, the DNS
    /// Flag Day 2020 value that fits an IPv6 minimum MTU without fragmentation.
    /// </summary>
    public const int EdnsUdpPayloadBytes = 1232;

    /// <summary>Largest DNS message over TCP: the 2-byte length prefix allows 65535 bytes.</summary>
    public const int MaxTcpMessageBytes = 65535;

    /// <summary>Size of the fixed DNS header: 12 bytes.</summary>
    public const int HeaderBytes = 12;

    /// <summary>Longest label: 63 bytes (RFC 1035 section 2.3.4).</summary>
    public const int MaxLabelBytes = 63;

    /// <summary>Longest name in wire form, length bytes and the root byte included: 255 bytes.</summary>
    public const int MaxNameWireBytes = 255;

    /// <summary>Most compression pointers followed while reading one name: 16.</summary>
    public const int MaxCompressionPointerJumps = 16;

    /// <summary>Most records accepted in any one section of a message: 128.</summary>
    public const int MaxRecordsPerSection = 128;

    /// <summary>Most CNAME hops followed for one lookup, across follow-up queries: 8.</summary>
    public const int MaxCnameHops = 8;

    /// <summary>Most datagrams with the wrong id or question ignored within one attempt before giving up on it: 16.</summary>
    public const int MaxIgnoredDatagramsPerAttempt = 16;

    /// <summary>Most host names held in a resolver's positive cache: 1024.</summary>
    public const int MaxCacheEntries = 1024;
}
