using System.Collections.Concurrent;

namespace SecureAoai.Client.Failover;

/// <summary>
/// The last rate-limit headers each endpoint sent (<c>x-ratelimit-remaining-requests</c> and
/// <c>-tokens</c>). Resolve it from the service provider to throttle the app before Azure does.
/// </summary>
public sealed class SecureOpenAIRateLimits
{
    private readonly ConcurrentDictionary<string, RateLimitSnapshot> _latest = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The last snapshot of <paramref name="endpoint"/> (its configured name), or <see langword="null"/> before it sent any.</summary>
    public RateLimitSnapshot? Get(string endpoint) => _latest.TryGetValue(endpoint, out var snapshot) ? snapshot : null;

    /// <summary>Every endpoint's last snapshot.</summary>
    public IReadOnlyDictionary<string, RateLimitSnapshot> All => _latest;

    internal void Record(RateLimitSnapshot snapshot) => _latest[snapshot.Endpoint] = snapshot;
}

/// <summary>What one response said about the remaining quota.</summary>
/// <param name="Endpoint">The endpoint's name.</param>
/// <param name="RemainingRequests">Requests left in the window, if the header was sent.</param>
/// <param name="RemainingTokens">Tokens left in the window, if the header was sent.</param>
/// <param name="ObservedAt">When the response arrived.</param>
public sealed record RateLimitSnapshot(string Endpoint, long? RemainingRequests, long? RemainingTokens, DateTimeOffset ObservedAt);
