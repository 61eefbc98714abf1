namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// Our routing strategy: picks the endpoint for an attempt, the best priority with an endpoint free
/// (not cooling, circuit not open), weighted within it; or says how long to wait for one.
/// </summary>
/// <remarks>
/// Microsoft.Extensions.Http.Resilience's ordered and weighted group routing hands out one endpoint
/// per group per request, blind to cooldowns and open circuits, and its routing strategy cannot be
/// replaced (it is internal); so the hedging strategy's action generator asks this instead.
/// </remarks>
internal sealed class EndpointSelector(IReadOnlyList<FailoverEndpoint> endpoints)
{
    /// <summary>Waits one attempt may make for a cooling endpoint before giving up (the endpoint was cooled again meanwhile).</summary>
    internal const int MaxWaitsPerAttempt = 2;

    public IReadOnlyList<FailoverEndpoint> Endpoints { get; } = endpoints;

    /// <summary>An available endpoint not in <paramref name="excluded"/>, or <see langword="null"/> when none is.</summary>
    /// <remarks>On every request's path: two passes over the list, no allocation.</remarks>
    public FailoverEndpoint? Choose(DateTimeOffset now, IReadOnlySet<FailoverEndpoint> excluded)
    {
        // First pass: the best priority with a free endpoint, and the total weight there.
        var best = int.MaxValue;
        var totalWeight = 0;
        FailoverEndpoint? only = null;
        var count = 0;
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var endpoint = Endpoints[i];
            if (endpoint.Priority > best || excluded.Contains(endpoint) || !endpoint.IsAvailable(now))
            {
                continue;
            }

            if (endpoint.Priority < best)
            {
                best = endpoint.Priority;
                totalWeight = 0;
                count = 0;
            }

            totalWeight += endpoint.Weight;
            count++;
            only = endpoint;
        }

        if (count <= 1)
        {
            return only;
        }

        // Second pass: a weighted draw among that priority's free endpoints.
        var ticket = Random.Shared.Next(totalWeight);
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var endpoint = Endpoints[i];
            if (endpoint.Priority != best || excluded.Contains(endpoint) || !endpoint.IsAvailable(now))
            {
                continue;
            }

            ticket -= endpoint.Weight;
            if (ticket < 0)
            {
                return endpoint;
            }
        }

        // An endpoint became unavailable between the passes: the last free one of the group.
        return only;
    }

    /// <summary>The earliest moment a cooling endpoint worth waiting for is free, or <see langword="null"/>.</summary>
    public DateTimeOffset? EarliestWaitable(DateTimeOffset now, IReadOnlySet<FailoverEndpoint> excluded) =>
        Endpoints.Where(e => !excluded.Contains(e)).Select(e => e.WaitableUntil(now)).Where(t => t is not null).Min();

    /// <summary>
    /// Where the next attempt of <paramref name="request"/> goes: an endpoint free now; or, when every
    /// one is cooling, the moment the first one worth waiting for is free, if that is within the
    /// budget; or neither (give up now).
    /// </summary>
    public Route Next(FailoverRequest request, DateTimeOffset now)
    {
        if (request.Sent >= request.MaxAttempts)
        {
            return default;
        }

        if (Choose(now, request.Excluded) is { } endpoint)
        {
            return new Route(endpoint, null);
        }

        return EarliestWaitable(now, request.Excluded) is { } at && at <= request.Deadline ? new Route(null, at) : default;
    }

    /// <summary>
    /// The endpoint for the next attempt of <paramref name="request"/>, waiting first when every one
    /// is cooling and the wait fits the budget; <see langword="null"/> when there is none.
    /// </summary>
    public async ValueTask<FailoverEndpoint?> NextAsync(FailoverRequest request, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var waits = 0; ; waits++)
        {
            var now = time.GetUtcNow();
            var route = Next(request, now);
            if (route.Endpoint is { } endpoint)
            {
                return endpoint;
            }

            if (route.WaitUntil is not { } at || waits >= MaxWaitsPerAttempt)
            {
                return null;
            }

            // Timers round to milliseconds and may fire a hair early: wait a whole millisecond past
            // the cooldown so the endpoint is free when we look again.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling((at - now).TotalMilliseconds) + 1), time, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>No endpoint was left for an attempt after a wait (another request cooled it meanwhile).</summary>
internal sealed class NoEndpointLeftException() : Exception("No endpoint is free for the next attempt.");

/// <summary>Where an attempt goes: <see cref="Endpoint"/> now, or wait until <see cref="WaitUntil"/> and ask again; neither means give up.</summary>
internal readonly record struct Route(FailoverEndpoint? Endpoint, DateTimeOffset? WaitUntil)
{
    public bool GivesUp => Endpoint is null && WaitUntil is null;
}
