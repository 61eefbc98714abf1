namespace SecureAoai.Client;

/// <summary>
/// The names SecureOpenAI's telemetry is published under, for an OpenTelemetry or
/// <see cref="System.Diagnostics.Metrics.MeterListener"/> set-up. docs/telemetry.md lists every
/// instrument, activity and tag.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddOpenTelemetry()
///     .WithMetrics(m => m.AddMeter(SecureOpenAITelemetry.MeterName, "Polly"))
///     .WithTracing(t => t.AddSource(SecureOpenAITelemetry.ActivitySourceName));
/// </code>
/// </example>
public static class SecureOpenAITelemetry
{
    /// <summary>The meter's name: <c>SecureAoai</c> (requests, attempts, failovers, throttles, cooldowns, broken streams, tokens).</summary>
    public const string MeterName = "SecureAoai";

    /// <summary>The activity source's name: <c>SecureAoai</c> (one activity per attempt, and one per token acquisition).</summary>
    public const string ActivitySourceName = "SecureAoai";
}
