using System.Collections.Frozen;
using System.Net;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// Hosts-file style overrides in front of another resolver: a name in the table resolves to its addresses
/// (chain = the name, source "host override"); every other name goes to the inner resolver.
/// </summary>
internal sealed class StaticHostResolver : IHostResolver
{
    /// <summary>The TTL reported for an override, so callers re-check on the same rhythm as a DNS answer: 5 minutes.</summary>
    public static readonly TimeSpan OverrideTimeToLive = TimeSpan.FromMinutes(5);

    /// <summary>The <see cref="HostResolution.Source"/> of an override.</summary>
    public const string SourceName = "host override";

    private readonly FrozenDictionary<string, IPAddress[]> _overrides;
    private readonly IHostResolver _inner;

    /// <summary>Creates the resolver.</summary>
    /// <param name="overrides">Host name (case-insensitive, trailing dot ignored) to its addresses, IPv4 first in the answer. Each needs at least one address.</param>
    /// <param name="inner">Resolves every name not in <paramref name="overrides"/>.</param>
    /// <exception cref="ArgumentException">An override has no address, or two overrides differ only in case.</exception>
    public StaticHostResolver(IEnumerable<KeyValuePair<string, IReadOnlyList<IPAddress>>> overrides, IHostResolver inner)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        ArgumentNullException.ThrowIfNull(inner);
        var table = new Dictionary<string, IPAddress[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (host, addresses) in overrides)
        {
            ArgumentException.ThrowIfNullOrEmpty(host);
            if (addresses is null || addresses.Count == 0)
            {
                throw new ArgumentException($"The host override for '{host}' has no address.", nameof(overrides));
            }

            if (!table.TryAdd(Normalize(host), [.. addresses.OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)]))
            {
                throw new ArgumentException($"'{host}' has more than one host override.", nameof(overrides));
            }
        }

        _overrides = table.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _inner = inner;
    }

    /// <inheritdoc />
    public ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        return _overrides.TryGetValue(Normalize(host), out var addresses)
            ? ValueTask.FromResult(new HostResolution(host, [host], addresses, OverrideTimeToLive, SourceName))
            : _inner.ResolveAsync(host, cancellationToken);
    }

    private static string Normalize(string host) => host.EndsWith('.') ? host[..^1] : host;
}
