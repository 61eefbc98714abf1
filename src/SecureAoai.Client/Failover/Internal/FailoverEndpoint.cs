using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Telemetry;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// One endpoint at run time: where it is (its base URI, with any path a gateway needs), its
/// deployment names, how it is reached (its network guard, or the connector), its cooldown, and its
/// circuit breaker and attempt timeout (Microsoft.Extensions.Http.Resilience's strategies).
/// </summary>
internal sealed class FailoverEndpoint
{
    /// <summary>
    /// The share of failed attempts, over the sampling window, that opens the circuit once there were at
    /// least <see cref="SecureOpenAIFailoverOptions.BreakerFailureThreshold"/> outcomes. A half: a
    /// streamed answer cut after its headers counts as a success (its headers) and a failure (its
    /// cut), so an endpoint that cuts every stream still opens its circuit.
    /// </summary>
    internal const double BreakerFailureRatio = 0.5;

    /// <summary>The breaker's sampling window is at least this long, and at least one break duration.</summary>
    internal static readonly TimeSpan MinimumBreakerSamplingDuration = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private DateTimeOffset _coolUntil;
    private DateTimeOffset _openUntil;
    private bool _waitable;
    private int _failuresInRow;

    /// <param name="name">The endpoint's name, for logs, metrics and errors.</param>
    /// <param name="setting">Its configuration path, <c>SecureOpenAI:Endpoints:1</c> (or <c>SecureOpenAI</c> for the one <c>Endpoint</c>), for errors that name a setting.</param>
    /// <param name="baseUri">Where its paths start, ending with a slash.</param>
    /// <param name="priority">Lower is tried first.</param>
    /// <param name="weight">Its share within its priority.</param>
    /// <param name="deploymentNames">Its deployment name for each default deployment name.</param>
    /// <param name="credential">What it is sent to authenticate; <see langword="null"/> sends requests as they are.</param>
    /// <param name="guard">Its resolver and network policy, or <see langword="null"/> when the connector reaches it.</param>
    /// <param name="options">The failover settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="telemetry">The resilience telemetry.</param>
    public FailoverEndpoint(
        string name,
        string setting,
        Uri baseUri,
        int priority,
        int weight,
        IReadOnlyDictionary<string, string> deploymentNames,
        EndpointCredential? credential,
        EndpointGuard? guard,
        SecureOpenAIFailoverOptions options,
        TimeProvider time,
        TelemetryOptions? telemetry = null)
    {
        Name = name;
        Setting = setting;
        BaseUri = baseUri;
        Priority = priority;
        Weight = weight;
        DeploymentNames = deploymentNames;
        Credential = credential;
        Guard = guard;
        IsGateway = IsGatewayAt(baseUri, credential?.Kind, credential?.Scope);
        _time = time;
        Circuit = new CircuitBreakerStateProvider();

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = PipelineName, InstanceName = name, TimeProvider = time };
        if (telemetry is not null)
        {
            builder.ConfigureTelemetry(telemetry);
        }

        Pipeline = builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            Name = "CircuitBreaker",
            FailureRatio = BreakerFailureRatio,
            MinimumThroughput = options.BreakerFailureThreshold,
            SamplingDuration = options.BreakerBreakDuration > MinimumBreakerSamplingDuration ? options.BreakerBreakDuration : MinimumBreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            StateProvider = Circuit,
            ShouldHandle = args => ValueTask.FromResult(CountsAgainstBreaker(args.Outcome)),
            OnOpened = args =>
            {
                lock (_gate)
                {
                    _openUntil = _time.GetUtcNow() + args.BreakDuration;
                }

                return ValueTask.CompletedTask;
            },
        })
            .AddTimeout(new HttpTimeoutStrategyOptions { Name = "AttemptTimeout", Timeout = options.AttemptTimeout })
            .Build();
    }

    /// <summary>The name of the per-endpoint pipelines in the resilience telemetry; the instance is the endpoint's name.</summary>
    public const string PipelineName = "SecureAoai.Endpoint";

    public string Name { get; }

    /// <summary>
    /// Where the endpoint's paths start: <c>https://NAME.openai.azure.com/</c>, or for a gateway its
    /// prefix (<c>https://contoso-apim.azure-api.net/aoai/</c>). Always ends with a slash.
    /// </summary>
    public Uri BaseUri { get; }

    public int Priority { get; }

    public int Weight { get; }

    /// <summary>This endpoint's deployment name for each default deployment name.</summary>
    public IReadOnlyDictionary<string, string> DeploymentNames { get; }

    /// <summary>Its configuration path: <c>SecureOpenAI:Endpoints:1</c>, or <c>SecureOpenAI</c> for the one <c>Endpoint</c>.</summary>
    public string Setting { get; }

    /// <summary>What the endpoint is sent to authenticate (a token of its own scope, or a key); <see langword="null"/> sends requests as they are.</summary>
    public EndpointCredential? Credential { get; }

    /// <summary>
    /// Whether the endpoint is a gateway (API Management, Front Door, another proxy) rather than an
    /// Azure OpenAI resource: it has a path prefix, a gateway's host name, a subscription key, or a
    /// token scope that is not Azure OpenAI's. Refusals speak of a gateway's settings and policies.
    /// </summary>
    public bool IsGateway { get; }

    /// <summary>The rule of <see cref="IsGateway"/>, for an endpoint at <paramref name="baseUri"/> that authenticates with <paramref name="kind"/> (and <paramref name="scope"/>, for a token).</summary>
    internal static bool IsGatewayAt(Uri baseUri, EndpointCredentialKind? kind, string? scope) =>
        baseUri.AbsolutePath != "/"
        || AzureHostNames.IsApiManagement(baseUri.IdnHost)
        || AzureHostNames.IsFrontDoor(baseUri.IdnHost)
        || kind == EndpointCredentialKind.SubscriptionKey
        || (kind == EndpointCredentialKind.EntraToken && scope is not null && !AccessTokenClaims.IsAzureOpenAIScope(scope));

    /// <summary>The endpoint in words: <c>https://x.openai.azure.com/</c>, or <c>gateway 'apim' (https://contoso-apim.azure-api.net/aoai/)</c>.</summary>
    public string Description => IsGateway ? $"gateway '{Name}' ({BaseUri})" : BaseUri.ToString();

    /// <summary>The endpoint's resolver and network policy, or <see langword="null"/> when the connector reaches it.</summary>
    public EndpointGuard? Guard { get; }

    public CircuitBreakerStateProvider Circuit { get; }

    /// <summary>Around one attempt: the circuit breaker, then the attempt timeout (until response headers).</summary>
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    /// <summary>Whether the circuit counts an attempt's outcome as the endpoint's failure: 5xx and 408 answers, and every exception but a cancellation. A throttle is the endpoint asking for a pause, which its cooldown honours.</summary>
    internal static bool CountsAgainstBreaker(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: OperationCanceledException } => false,
        { Exception: not null } => true,
        { Result: { } response } => FailoverRules.IsEndpointFailure((int)response.StatusCode) && response.StatusCode != HttpStatusCode.TooManyRequests,
        _ => false,
    };

    /// <summary>Free for an attempt: not cooling, and its circuit closed or at the end of its break (the next attempt is the probe).</summary>
    public bool IsAvailable(DateTimeOffset now)
    {
        lock (_gate)
        {
            return now >= _coolUntil && Circuit.CircuitState switch
            {
                CircuitState.Closed => true,
                // Polly reports Open until an execution finds the break over; that execution is the probe.
                CircuitState.Open => now >= _openUntil,
                _ => false,
            };
        }
    }

    /// <summary>When the endpoint is free again, if waiting for it is worth it (its server asked for a wait within the cap).</summary>
    public DateTimeOffset? WaitableUntil(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _waitable && _coolUntil > now && Circuit.CircuitState == CircuitState.Closed ? _coolUntil : null;
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
            var until = now + cooldown;
            _coolUntil = until > _coolUntil ? until : _coolUntil;
            return cooldown;
        }
    }

    /// <summary>
    /// A response that had passed as a success failed later (a stream cut after its headers): the
    /// circuit breaker counts the failure, as it would have at the headers.
    /// </summary>
    public async ValueTask CountFailureAsync(Exception failure)
    {
        // An execution whose outcome is the failure: the breaker's own bookkeeping (ratio, window,
        // opening, telemetry) applies; the attempt timeout around it has nothing to time. An open
        // circuit just refuses it.
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            await Pipeline.ExecuteOutcomeAsync(
                static (_, failure) => ValueTask.FromResult(Outcome.FromException<HttpResponseMessage>(failure)),
                context,
                failure).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Why the endpoint was not tried, for the failure's attempt list.</summary>
    public string SkipReason(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (Circuit.CircuitState is CircuitState.Open or CircuitState.HalfOpen or CircuitState.Isolated)
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
