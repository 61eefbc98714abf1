namespace SecureAoai.Client.Networking;

/// <summary>Why an endpoint was not connected to.</summary>
public enum EndpointNetworkFailure
{
    /// <summary>The name resolved to an address the <see cref="NetworkPolicy"/> does not allow.</summary>
    PolicyViolation,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NameNotFound,

    /// <summary>The name exists but has no address record.</summary>
    NoAddress,

    /// <summary>The DNS servers answered with a failure (SERVFAIL, REFUSED).</summary>
    DnsServerFailure,

    /// <summary>No DNS server answered in time.</summary>
    DnsTimeout,

    /// <summary>The DNS answers were malformed or did not match the question.</summary>
    InvalidDnsResponse,
}
