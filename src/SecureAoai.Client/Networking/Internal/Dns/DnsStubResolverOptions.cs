using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>Settings of a <see cref="DnsStubResolver"/>; checked by <see cref="Validate"/> when the resolver is built.</summary>
internal sealed class DnsStubResolverOptions
{
    /// <summary>The default DNS port: 53.</summary>
    public const int DefaultPort = 53;

    /// <summary>Longest allowed <see cref="AttemptTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan MaxAttemptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Most allowed <see cref="AttemptsPerServer"/>: 5.</summary>
    public const int MaxAttemptsPerServer = 5;

    /// <summary>The servers to ask, in order; the next is asked only when one fails, times out or answers garbage. Required.</summary>
    /// <value>The default value is empty; <see cref="ParseServer"/> turns "10.0.0.4", "10.0.0.4:5353" or "[::1]:5353" into an entry.</value>
    public IList<IPEndPoint> Servers { get; } = [];

    /// <summary>How long to wait for one answer, over UDP, and again over TCP when the UDP answer was truncated.</summary>
    /// <value>The default value is 2 seconds; at most <see cref="MaxAttemptTimeout"/>.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times one query is sent to one server before moving on, when it times out or gets only garbage back.</summary>
    /// <value>The default value is 2; between 1 and <see cref="MaxAttemptsPerServer"/>.</value>
    public int AttemptsPerServer { get; set; } = 2;

    /// <summary>The longest time an answer is cached, whatever its records' TTL says; <see cref="TimeSpan.Zero"/> turns the cache off.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan MaxTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether queries carry an EDNS0 OPT record advertising <see cref="DnsLimits.EdnsUdpPayloadBytes"/>, so fewer answers need TCP.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseEdns { get; set; } = true;

    /// <summary>Options asking <paramref name="servers"/> ("IP" or "IP:port", IPv6 as "[::1]:5353"), with every other setting at its default.</summary>
    /// <exception cref="FormatException">A server is not an IP address with an optional port.</exception>
    public static DnsStubResolverOptions ForServers(params IEnumerable<string> servers)
    {
        var options = new DnsStubResolverOptions();
        foreach (var server in servers)
        {
            options.Servers.Add(ParseServer(server));
        }

        return options;
    }

    /// <summary>Parses "10.0.0.4" (port 53), "10.0.0.4:5353", "::1" (port 53) or "[::1]:5353".</summary>
    /// <exception cref="FormatException">The text is not an IP address with an optional port.</exception>
    public static IPEndPoint ParseServer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var addressText = text;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                throw BadServer(text);
            }

            addressText = text[1..close];
            if (close + 1 < text.Length)
            {
                port = ParsePort(text, text[(close + 2)..]);
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            addressText = text[..colon];
            port = ParsePort(text, text[(colon + 1)..]);
        }

        // IPAddress.Parse takes "1" for 0.0.0.1; a DNS server is written as a dotted quad or in IPv6 form.
        if (!IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3)
            || (text.StartsWith('[') && address.AddressFamily != AddressFamily.InterNetworkV6))
        {
            throw BadServer(text);
        }

        return new IPEndPoint(address, port);
    }

    /// <summary>Checks every setting against its documented range.</summary>
    /// <exception cref="InvalidOperationException">A setting is out of range; the message names it and the range.</exception>
    public void Validate()
    {
        if (Servers.Count == 0)
        {
            throw new InvalidOperationException("The DNS stub resolver needs at least one server.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || AttemptTimeout > MaxAttemptTimeout)
        {
            throw new InvalidOperationException($"The DNS attempt timeout is {AttemptTimeout}; it must be more than zero and at most {MaxAttemptTimeout}.");
        }

        if (AttemptsPerServer is < 1 or > MaxAttemptsPerServer)
        {
            throw new InvalidOperationException($"DNS attempts per server is {AttemptsPerServer}; it must be between 1 and {MaxAttemptsPerServer}.");
        }

        if (MaxTimeToLive < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"The DNS cache's maximum TTL is {MaxTimeToLive}; it must not be negative.");
        }
    }

    private static int ParsePort(string text, string portText) =>
        int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= IPEndPoint.MaxPort
            ? port
            : throw BadServer(text);

    private static FormatException BadServer(string text) =>
        new($"'{text}' is not a DNS server address; write an IP address with an optional port: \"10.0.0.4\", \"10.0.0.4:5353\", \"[::1]:5353\".");
}
