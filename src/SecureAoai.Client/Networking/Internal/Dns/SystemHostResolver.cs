using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// Resolves through the operating system (getaddrinfo: hosts file, nsswitch, the system's DNS servers).
/// The OS hides record TTLs, so every answer carries <see cref="AssumedTimeToLive"/>; it exposes aliases only
/// sometimes, so the chain is the host followed by whatever aliases the OS reported.
/// </summary>
internal sealed class SystemHostResolver : IHostResolver
{
    /// <summary>The TTL given to every answer, since the OS does not report one: 30 seconds.</summary>
    public static readonly TimeSpan AssumedTimeToLive = TimeSpan.FromSeconds(30);

    /// <summary>The <see cref="HostResolution.Source"/> of every answer.</summary>
    public const string SourceName = "system resolver";

    /// <inheritdoc />
    public async ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        IPHostEntry entry;
        try
        {
            entry = await System.Net.Dns.GetHostEntryAsync(host, AddressFamily.Unspecified, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            var failure = ex.SocketErrorCode switch
            {
                SocketError.HostNotFound => HostResolutionFailure.NameNotFound,
                SocketError.NoData => HostResolutionFailure.NoAddress,
                SocketError.TryAgain => HostResolutionFailure.ServerFailure,
                SocketError.TimedOut => HostResolutionFailure.Timeout,
                _ => HostResolutionFailure.ServerFailure,
            };
            throw new HostResolutionException(host, failure, $"'{host}' did not resolve: the system resolver reported {ex.SocketErrorCode} ({ex.Message}).", ex);
        }

        var addresses = entry.AddressList
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .ToArray();
        if (addresses.Length == 0)
        {
            throw new HostResolutionException(host, HostResolutionFailure.NoAddress, $"'{host}' did not resolve: the system resolver returned no IPv4 or IPv6 address.");
        }

        var chain = new List<string> { host };
        foreach (var alias in entry.Aliases.Append(entry.HostName))
        {
            if (!string.IsNullOrEmpty(alias) && !chain.Contains(alias, StringComparer.OrdinalIgnoreCase))
            {
                chain.Add(alias);
            }
        }

        return new HostResolution(host, chain, addresses, AssumedTimeToLive, SourceName);
    }
}
