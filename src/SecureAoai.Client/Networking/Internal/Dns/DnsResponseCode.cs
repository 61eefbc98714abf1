namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>The 4-bit RCODE of a DNS header (RFC 1035 section 4.1.1).</summary>
internal enum DnsResponseCode : byte
{
    /// <summary>No error.</summary>
    NoError = 0,

    /// <summary>The server could not interpret the query.</summary>
    FormatError = 1,

    /// <summary>SERVFAIL: the server could not answer, e.g. its upstream failed.</summary>
    ServerFailure = 2,

    /// <summary>NXDOMAIN: the name does not exist.</summary>
    NameError = 3,

    /// <summary>The server does not support this kind of query.</summary>
    NotImplemented = 4,

    /// <summary>The server refuses to answer, by policy.</summary>
    Refused = 5,
}
