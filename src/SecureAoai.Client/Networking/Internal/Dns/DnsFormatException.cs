namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// A DNS message was malformed or over one of the <see cref="DnsLimits"/>. The parser throws this
/// and nothing else for bad input, so callers handle every hostile datagram in one place.
/// </summary>
internal sealed class DnsFormatException : Exception
{
    public DnsFormatException(string message)
        : base(message)
    {
    }

    public DnsFormatException()
        : base("The DNS message is malformed.")
    {
    }

    public DnsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
