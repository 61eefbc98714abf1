namespace SecureAoai.Client.Failover.Internal;

/// <summary>Picks the endpoint for an attempt: the best priority with an endpoint free, weighted within it.</summary>
internal sealed class EndpointSelector(IReadOnlyList<FailoverEndpoint> endpoints)
{
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
}
