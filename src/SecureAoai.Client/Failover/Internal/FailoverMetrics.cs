using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>The "SecureAoai" meter's instruments for requests, attempts, failovers, throttles, cooldowns, broken streams and tokens.</summary>
internal static class FailoverMetrics
{
    public const string MeterName = SecureOpenAITelemetry.MeterName;

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("secureaoai.requests", description: "Requests, by final outcome (success, failed, cancelled).");

    public static readonly Counter<long> Attempts = Meter.CreateCounter<long>("secureaoai.attempts", description: "Attempts sent to an endpoint, by endpoint and outcome (status code, connect_error, timeout, circuit_open, network_policy).");

    public static readonly Counter<long> Failovers = Meter.CreateCounter<long>("secureaoai.failovers", description: "Moves of a request from one endpoint to another.");

    public static readonly Counter<long> Throttles = Meter.CreateCounter<long>("secureaoai.throttles", description: "429 answers, by endpoint.");

    public static readonly Counter<long> BrokenStreams = Meter.CreateCounter<long>("secureaoai.broken_streams", description: "Streamed answers that broke after their headers (never sent again), by endpoint.");

    public static readonly Histogram<double> Cooldown = Meter.CreateHistogram<double>("secureaoai.cooldown", unit: "s", description: "Cooldowns given to endpoints, by endpoint.");

    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("secureaoai.tokens", description: "Tokens reported in usage, by endpoint, deployment and kind (prompt, completion); streamed usage included.");

    public static void RecordUsage(string endpoint, string deployment, long prompt, long completion)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "deployment", deployment } };
        var promptTags = tags;
        promptTags.Add("kind", "prompt");
        Tokens.Add(prompt, promptTags);
        var completionTags = tags;
        completionTags.Add("kind", "completion");
        Tokens.Add(completion, completionTags);
    }
}
