namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The per-deployment quotas of one instance: a sliding log of the requests admitted in the last
/// window, with the tokens each was estimated at. Thread-safe; memory is bounded by the limits,
/// since only admitted requests are logged and none outlives the window.
/// </summary>
internal sealed class RateLimiter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DeploymentWindow> _deployments = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public RateLimiter(TimeProvider time, TimeSpan window, IEnumerable<KeyValuePair<string, EmulatorRateLimit>> limits)
    {
        _time = time;
        Window = window;
        foreach ((string deployment, EmulatorRateLimit limit) in limits)
        {
            _deployments[deployment] = new DeploymentWindow(limit);
        }
    }

    public TimeSpan Window { get; }

    /// <summary>Replaces a deployment's limit (or removes it, for <see langword="null"/>) and starts its window afresh.</summary>
    public void SetLimit(string deployment, EmulatorRateLimit? limit)
    {
        lock (_gate)
        {
            if (limit is null)
            {
                _deployments.Remove(deployment);
            }
            else
            {
                _deployments[deployment] = new DeploymentWindow(limit);
            }
        }
    }

    public Dictionary<string, EmulatorRateLimit> Snapshot()
    {
        lock (_gate)
        {
            return _deployments.ToDictionary(d => d.Key, d => d.Value.Limit, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// Admits and logs the request if the window has room for it. Returns <see langword="null"/>
    /// when the deployment has no limit.
    /// </summary>
    public RateLimitDecision? TryAdmit(string deployment, int estimatedTokens)
    {
        lock (_gate)
        {
            if (!_deployments.TryGetValue(deployment, out DeploymentWindow? window))
            {
                return null;
            }

            long now = _time.GetTimestamp();
            window.Prune(this, now);
            TimeSpan? requestWait = window.RequestWait(this, now);
            TimeSpan? tokenWait = window.TokenWait(this, now, estimatedTokens);
            bool admitted = requestWait is null && tokenWait is null;
            if (admitted)
            {
                window.Add(now, estimatedTokens);
            }

            TimeSpan oldestExpiry = window.OldestExpiry(this, now);
            return new RateLimitDecision(
                admitted,
                window.Limit,
                window.Limit.RequestsPerMinute - window.Count,
                window.Limit.TokensPerMinute is int tpm ? (int)Math.Max(0, tpm - window.Tokens) : null,
                requestWait ?? oldestExpiry,
                tokenWait ?? oldestExpiry,
                Max(requestWait ?? TimeSpan.Zero, tokenWait ?? TimeSpan.Zero),
                TokensExceeded: requestWait is null && tokenWait is not null);
        }
    }

    private TimeSpan ExpiresIn(long admittedAt, long now) => Window - _time.GetElapsedTime(admittedAt, now);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class DeploymentWindow(EmulatorRateLimit limit)
    {
        private readonly List<(long AdmittedAt, int Tokens)> _log = [];

        public EmulatorRateLimit Limit { get; } = limit;

        public int Count => _log.Count;

        public long Tokens { get; private set; }

        public void Prune(RateLimiter owner, long now)
        {
            int expired = 0;
            while (expired < _log.Count && owner.ExpiresIn(_log[expired].AdmittedAt, now) <= TimeSpan.Zero)
            {
                Tokens -= _log[expired].Tokens;
                expired++;
            }

            _log.RemoveRange(0, expired);
        }

        public void Add(long now, int tokens)
        {
            _log.Add((now, tokens));
            Tokens += tokens;
        }

        // The request fits once all but (limit - 1) of the logged requests have left the window.
        public TimeSpan? RequestWait(RateLimiter owner, long now) =>
            Limit.RequestsPerMinute is int rpm && _log.Count >= rpm
                ? owner.ExpiresIn(_log[_log.Count - rpm].AdmittedAt, now)
                : null;

        public TimeSpan? TokenWait(RateLimiter owner, long now, int estimate)
        {
            if (Limit.TokensPerMinute is not int tpm || Tokens + estimate <= tpm)
            {
                return null;
            }

            if (estimate > tpm)
            {
                // Such a request can never be admitted; the nearest honest answer is "when the window is empty".
                return _log.Count == 0 ? owner.Window : owner.ExpiresIn(_log[^1].AdmittedAt, now);
            }

            long remaining = Tokens;
            foreach ((long admittedAt, int tokens) in _log)
            {
                remaining -= tokens;
                if (remaining + estimate <= tpm)
                {
                    return owner.ExpiresIn(admittedAt, now);
                }
            }

            return owner.Window;
        }

        public TimeSpan OldestExpiry(RateLimiter owner, long now) =>
            _log.Count == 0 ? TimeSpan.Zero : owner.ExpiresIn(_log[0].AdmittedAt, now);
    }
}
