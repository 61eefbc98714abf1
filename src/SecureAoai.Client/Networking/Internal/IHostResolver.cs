using System.Net;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>Turns a host name into addresses, with the CNAME chain that led there.</summary>
internal interface IHostResolver
{
    /// <summary>Resolves <paramref name="host"/> to its A and AAAA addresses.</summary>
    /// <exception cref="HostResolutionException">The name could not be resolved; the exception says why.</exception>
    ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The answer for one host name.</summary>
/// <param name="Host">The name asked for.</param>
/// <param name="Chain">The names from <paramref name="Host"/> through every CNAME to the name holding the addresses; starts with <paramref name="Host"/>.</param>
/// <param name="Addresses">The addresses, in the order the server gave them (IPv4 first when both families answered).</param>
/// <param name="TimeToLive">How long the answer may be used: the smallest TTL of the records it came from.</param>
/// <param name="Source">Who answered, for messages: "system resolver", "DNS 10.0.0.4:53", "host override".</param>
internal sealed record HostResolution(string Host, IReadOnlyList<string> Chain, IReadOnlyList<IPAddress> Addresses, TimeSpan TimeToLive, string Source);

/// <summary>Why a name did not resolve.</summary>
internal enum HostResolutionFailure
{
    /// <summary>NXDOMAIN: the name does not exist.</summary>
    NameNotFound,

    /// <summary>The name exists but has no A or AAAA record.</summary>
    NoAddress,

    /// <summary>SERVFAIL or REFUSED from every server.</summary>
    ServerFailure,

    /// <summary>No server answered in time.</summary>
    Timeout,

    /// <summary>Every answer was malformed, mismatched (id or question) or over a limit.</summary>
    InvalidResponse,
}

/// <summary>A name could not be resolved.</summary>
internal sealed class HostResolutionException(string host, HostResolutionFailure failure, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Host { get; } = host;

    public HostResolutionFailure Failure { get; } = failure;
}
