namespace SecureAoai.Client.Failover;

/// <summary>How requests move between endpoints (<c>SecureOpenAI:Failover</c>).</summary>
public sealed class SecureOpenAIFailoverOptions
{
    /// <summary>
    /// The most one request may take until its response headers arrive, attempts and waits included.
    /// A stream's body is not limited by it (the OpenAI client's <c>NetworkTimeout</c> bounds each
    /// read). The default value is 5 minutes, sized for long completions, not the 30 seconds of
    /// Microsoft.Extensions.Http.Resilience's standard handlers.
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The most one attempt may take until its response headers arrive. A non-streamed completion
    /// sends its headers only when the whole answer is ready, so this is generous (the standard
    /// handlers' 10 seconds would cut long answers). The default value is 100 seconds.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The cooldown after a failure that names none, doubled for each failure in a row up to <c>SecureOpenAI:MaxRetryAfter</c>. The default value is 1 second.</summary>
    public TimeSpan BaseCooldown { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether a 404 (a deployment missing at one resource) tries the next endpoint. The default value is <see langword="false"/>.</summary>
    public bool FailoverOnNotFound { get; set; }

    /// <summary>
    /// The fewest attempt outcomes, within the breaker's window (30 seconds, or <see cref="BreakerBreakDuration"/>
    /// if longer), before an endpoint's circuit may open; it opens when at least half of them are
    /// failures (5xx, 408, timeouts, connection failures, streams cut after their headers; throttles
    /// count as successes). A run of failures with no success opens it after this many. The default value is 5.
    /// </summary>
    public int BreakerFailureThreshold { get; set; } = 5;

    /// <summary>How long an open circuit keeps its endpoint out before one probe request. The default value is 30 seconds.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
