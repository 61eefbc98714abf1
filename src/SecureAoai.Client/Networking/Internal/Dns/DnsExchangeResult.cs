namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>How one query to one server went.</summary>
internal enum DnsExchangeStatus
{
    /// <summary>A well-formed response with our id and question arrived; see <see cref="DnsExchangeResult.Message"/>.</summary>
    Answered,

    /// <summary>Nothing usable arrived within the attempt timeout, and nothing unusable either.</summary>
    TimedOut,

    /// <summary>The server's port is closed (ICMP port unreachable, or TCP connection refused).</summary>
    Unreachable,

    /// <summary>Only malformed, oversized or mismatched (id or question) messages arrived.</summary>
    Invalid,
}

/// <summary>The outcome of one query to one server.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Message">The response when <paramref name="Status"/> is <see cref="DnsExchangeStatus.Answered"/>.</param>
/// <param name="Detail">What happened, in words, for error messages ("timed out after 2 s").</param>
internal readonly record struct DnsExchangeResult(DnsExchangeStatus Status, DnsMessage? Message, string Detail);
