namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>The record types the codec writes or reads; every other type is skipped by its length.</summary>
internal enum DnsRecordType : ushort
{
    /// <summary>An IPv4 address.</summary>
    A = 1,

    /// <summary>An alias to another name.</summary>
    CName = 5,

    /// <summary>An IPv6 address.</summary>
    Aaaa = 28,

    /// <summary>The EDNS0 pseudo-record (RFC 6891).</summary>
    Opt = 41,
}
