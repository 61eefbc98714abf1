namespace SecureAoai.Emulator.Internal.Gateway;

/// <summary>
/// A gateway's backend pool: its instances in round-robin order, each with a circuit breaker that
/// trips on one failure (429, 5xx, no connection) for the wait the backend asked, or the trip
/// duration, as API Management's circuit breaker rules for Azure OpenAI backends are set up
/// (failure count 1, status 429 and 5xx, acceptRetryAfter).
/// </summary>
internal sealed class BackendPool(IReadOnlyList<EmulatorInstance> instances, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly DateTimeOffset[] _openUntil = new DateTimeOffset[instances.Count];
    private int _next;

    public IReadOnlyList<EmulatorInstance> Instances { get; } = instances;

    /// <summary>The next backend in turn whose circuit is closed and that this request has not tried yet, or <see langword="null"/>.</summary>
    public EmulatorInstance? Pick(IReadOnlySet<EmulatorInstance> tried)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < Instances.Count; i++)
            {
                var index = (_next + i) % Instances.Count;
                if (_openUntil[index] <= now && !tried.Contains(Instances[index]))
                {
                    _next = (index + 1) % Instances.Count;
                    return Instances[index];
                }
            }

            return null;
        }
    }

    /// <summary>Opens <paramref name="backend"/>'s circuit for <paramref name="duration"/>.</summary>
    public void Trip(EmulatorInstance backend, TimeSpan duration)
    {
        lock (_gate)
        {
            var index = IndexOf(backend);
            var until = time.GetUtcNow() + duration;
            _openUntil[index] = until > _openUntil[index] ? until : _openUntil[index];
        }
    }

    /// <summary>Whether <paramref name="backend"/>'s circuit is open now.</summary>
    public bool IsOpen(EmulatorInstance backend)
    {
        lock (_gate)
        {
            return _openUntil[IndexOf(backend)] > time.GetUtcNow();
        }
    }

    /// <summary>How long until the first open circuit closes; zero when one is closed.</summary>
    public TimeSpan UntilFirstCloses()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var first = _openUntil.Min();
            return first > now ? first - now : TimeSpan.Zero;
        }
    }

    private int IndexOf(EmulatorInstance backend)
    {
        for (var i = 0; i < Instances.Count; i++)
        {
            if (ReferenceEquals(Instances[i], backend))
            {
                return i;
            }
        }

        throw new ArgumentException($"Instance '{backend.Name}' is not in this pool.", nameof(backend));
    }
}
