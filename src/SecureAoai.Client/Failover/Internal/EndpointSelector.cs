namespace SecureAoai.Client.Failover.Internal;

/// <summary>Picks the endpoint for an attempt: the best priority with an endpoint free, weighted within it.</summary>
internal sealed class EndpointSelector(IReadOnlyList<FailoverEndpoint> endpoints)
{
    public IReadOnlyList<FailoverEndpoint> Endpoints { get; } = endpoints;

    /// <summary>An available endpoint not in <paramref name="excluded"/>, or <see langword="null"/> when none is.</summary>
    public FailoverEndpoint? Choose(DateTimeOffset now, IReadOnlySet<FailoverEndpoint> excluded)
    {
        FailoverEndpoint[]? group = null;
        foreach (var priority in Endpoints.Select(e => e.Priority).Distinct().Order())
        {
            group = Endpoints.Where(e => e.Priority == priority && !excluded.Contains(e) && e.IsAvailable(now)).ToArray();
            if (group.Length > 0)
            {
                break;
            }
        }

        if (group is not { Length: > 0 })
        {
            return null;
        }

        if (group.Length == 1)
        {
            return group[0];
        }

        var ticket = Random.Shared.Next(group.Sum(e => e.Weight));
        foreach (var endpoint in group)
        {
            ticket -= endpoint.Weight;
            if (ticket < 0)
            {
                return endpoint;
            }
        }

        return group[^1];
    }

    /// <summary>The earliest moment a cooling endpoint worth waiting for is free, or <see langword="null"/>.</summary>
    public DateTimeOffset? EarliestWaitable(DateTimeOffset now, IReadOnlySet<FailoverEndpoint> excluded) =>
        Endpoints.Where(e => !excluded.Contains(e)).Select(e => e.WaitableUntil(now)).Where(t => t is not null).Min();
}
