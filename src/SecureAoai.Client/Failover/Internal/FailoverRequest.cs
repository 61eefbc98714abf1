using Microsoft.Extensions.Http.Resilience;
using Polly;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// One request's failover state, carried in its resilience context from the request handler to
/// the hedging strategy's routing and to each attempt: the buffered request, the budget, every
/// attempt so far and the endpoints left out for this request.
/// </summary>
/// <remarks>Attempts run one after the other (hedging with an infinite delay), so no lock is needed.</remarks>
internal sealed class FailoverRequest(RequestTemplate template, DateTimeOffset deadline, int maxAttempts, RequestOutcome outcome)
{
    public static readonly ResiliencePropertyKey<FailoverRequest> Key = new("SecureAoai.FailoverRequest");

    private static readonly HashSet<FailoverEndpoint> NoneExcluded = [];

    // Made at the first failure: a request served by its first attempt allocates none of them.
    private List<FailoverAttempt>? _attempts;
    private List<EndpointNetworkException>? _networkRefusals;
    private HashSet<FailoverEndpoint>? _excluded;

    public RequestTemplate Template { get; } = template;

    /// <summary>Which endpoint the last send went to, with which token: what a refusal of the final answer is about.</summary>
    public RequestOutcome Outcome { get; } = outcome;

    /// <summary>When the total timeout runs out: no wait past it is started.</summary>
    public DateTimeOffset Deadline { get; } = deadline;

    public int MaxAttempts { get; } = maxAttempts;

    /// <summary>Endpoints not tried again for this request: refused by network policy, circuit open, 404 with FailoverOnNotFound.</summary>
    public IReadOnlySet<FailoverEndpoint> Excluded => _excluded ?? NoneExcluded;

    /// <summary>The endpoint of the last attempt sent.</summary>
    public FailoverEndpoint? Previous { get; set; }

    /// <summary>Attempts sent so far.</summary>
    public int Sent { get; set; }

    /// <summary>The error of the last failed attempt, if it threw.</summary>
    public Exception? LastError { get; private set; }

    public IReadOnlyList<FailoverAttempt> Attempts => (IReadOnlyList<FailoverAttempt>?)_attempts ?? [];

    /// <summary>The state of the request an attempt message belongs to, carried in its resilience context.</summary>
    /// <exception cref="InvalidOperationException">The message did not come through the failover handler.</exception>
    public static FailoverRequest Of(HttpRequestMessage attempt) =>
        attempt.GetResilienceContext()?.Properties.GetValue(Key, null!)
        ?? throw new InvalidOperationException("The attempt has no failover state; it must come through the failover handler.");

    /// <summary>Leaves <paramref name="endpoint"/> out of this request's further attempts.</summary>
    public void Exclude(FailoverEndpoint endpoint) => (_excluded ??= []).Add(endpoint);

    public void Failed(FailoverAttempt attempt, Exception? error)
    {
        (_attempts ??= []).Add(attempt);
        LastError = error ?? LastError;
        if (error is EndpointNetworkException refusal)
        {
            (_networkRefusals ??= []).Add(refusal);
        }
    }

    /// <summary>
    /// The error for a request no endpoint could serve: when every attempt was refused by network
    /// policy, that refusal itself (chain and cause); otherwise a <see cref="SecureOpenAIFailoverException"/>
    /// listing every attempt, then every endpoint never tried and why.
    /// </summary>
    public Exception GiveUp(IEnumerable<FailoverEndpoint> endpoints, DateTimeOffset now, string? reason = null, Exception? cause = null)
    {
        if (_networkRefusals is { Count: > 0 } && _attempts!.Count == _networkRefusals.Count && reason is null)
        {
            return _networkRefusals[^1];
        }

        var listed = Attempts.ToList();
        foreach (var skipped in endpoints.Where(e => listed.TrueForAll(a => a.Endpoint != e.Name)))
        {
            listed.Add(new FailoverAttempt(skipped.Name, null, skipped.SkipReason(now), null));
        }

        reason ??= Sent >= MaxAttempts
            ? $"{Sent} attempt(s) failed (SecureOpenAI:MaxRetries is {MaxAttempts - 1})"
            : "no endpoint can take the request within the budget: every one is failing, cooling for longer than SecureOpenAI:MaxRetryAfter, or past the total timeout";
        return new SecureOpenAIFailoverException($"SecureOpenAI gave up on {Template.Method} {Template.PathForMessages}: {reason}.", listed, cause ?? LastError);
    }
}
