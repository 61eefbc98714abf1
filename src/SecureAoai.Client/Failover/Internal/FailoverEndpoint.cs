using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>One endpoint at run time: where it is, its deployment names, its cooldown and its circuit.</summary>
internal sealed class FailoverEndpoint
{
    private readonly Lock _gate = new();
    private DateTimeOffset _coolUntil;
    private bool _waitable;
    private int _failuresInRow;

    public FailoverEndpoint(
        string name,
        Uri root,
        int priority,
        int weight,
        IReadOnlyDictionary<string, string> deploymentNames,
        string? apiKey,
        EndpointGuard guard,
        SecureOpenAIFailoverOptions options,
        TimeProvider time)
    {
        Name = name;
        Root = root;
        Priority = priority;
        Weight = weight;
        DeploymentNames = deploymentNames;
        ApiKey = apiKey;
        Guard = guard;
        Circuit = new CircuitBreakerStateProvider();

        // Polly's breaker counts the failure ratio over a window: a ratio of 1 with the threshold as
        // minimum throughput opens after that many failures with no success between them.
        Pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = 1.0,
                MinimumThroughput = options.BreakerFailureThreshold,
                SamplingDuration = TimeSpan.FromSeconds(Math.Max(30, options.BreakerBreakDuration.TotalSeconds)),
                BreakDuration = options.BreakerBreakDuration,
                StateProvider = Circuit,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: OperationCanceledException } => false,
                    { Exception: not null } => true,
                    // A throttle is the endpoint asking for a pause, which its cooldown honours; it is not a fault.
                    { Result: { } response } => FailoverHandler.IsEndpointFailure((int)response.StatusCode) && response.StatusCode != System.Net.HttpStatusCode.TooManyRequests,
                    _ => false,
                }),
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.AttemptTimeout })
            .Build();
    }

    public string Name { get; }

    /// <summary>The resource root, <c>https://NAME.openai.azure.com/</c>.</summary>
    public Uri Root { get; }

    public int Priority { get; }

    public int Weight { get; }

    /// <summary>This endpoint's deployment name for each default deployment name.</summary>
    public IReadOnlyDictionary<string, string> DeploymentNames { get; }

    public string? ApiKey { get; }

    public EndpointGuard Guard { get; }

    public CircuitBreakerStateProvider Circuit { get; }

    /// <summary>Breaker, then the attempt timeout, around one attempt.</summary>
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    public bool IsAvailable(DateTimeOffset now)
    {
        lock (_gate)
        {
            return now >= _coolUntil && Circuit.CircuitState is not (CircuitState.Open or CircuitState.Isolated);
        }
    }

    /// <summary>When the endpoint is free again, if waiting for it is worth it (its server asked for a wait within the cap).</summary>
    public DateTimeOffset? WaitableUntil(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _waitable && _coolUntil > now ? _coolUntil : null;
        }
    }

    /// <summary>
    /// Keeps the endpoint out after a failure: for the wait its server asked, capped, or for an
    /// exponential default. Returns the cooldown given.
    /// </summary>
    public TimeSpan CoolDown(DateTimeOffset now, TimeSpan? requested, TimeSpan baseCooldown, TimeSpan maxRetryAfter)
    {
        lock (_gate)
        {
            _failuresInRow = Math.Min(_failuresInRow + 1, 30);
            var exponential = TimeSpan.FromTicks(Math.Min(baseCooldown.Ticks * (1L << Math.Min(_failuresInRow - 1, 20)), maxRetryAfter.Ticks));
            var cooldown = requested is { } asked ? (asked < maxRetryAfter ? asked : maxRetryAfter) : exponential;

            // Waiting for this endpoint is worth it only when it asked for no more than the cap.
            _waitable = requested is null || requested <= maxRetryAfter;
            _coolUntil = now + cooldown;
            return cooldown;
        }
    }

    /// <summary>Why the endpoint was not tried, for the failure's attempt list.</summary>
    public string SkipReason(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (Circuit.CircuitState is CircuitState.Open or CircuitState.Isolated)
            {
                return "skipped: circuit open after repeated failures";
            }

            return _coolUntil > now
                ? $"skipped: cooling down for {(_coolUntil - now).TotalSeconds:0.###} s more"
                : "skipped: the budget ran out first";
        }
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _failuresInRow = 0;
        }
    }

    /// <summary>This endpoint's name for a deployment, given its default name.</summary>
    public string DeploymentFor(string defaultName) =>
        DeploymentNames.TryGetValue(defaultName, out var name) ? name : defaultName;
}
