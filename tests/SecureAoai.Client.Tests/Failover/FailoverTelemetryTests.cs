using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using static SecureAoai.Client.Tests.Failover.ScriptedNetwork;

namespace SecureAoai.Client.Tests.Failover;

/// <summary><c>secureaoai.requests</c> has no endpoint tag, so these tests run alone, not beside other failover tests.</summary>
[CollectionDefinition(nameof(RunsAloneForRequestMetrics), DisableParallelization = true)]
public sealed class RunsAloneForRequestMetrics;

/// <summary>The "SecureAoai" meter and the attempt activity, as docs/failover.md lists them.</summary>
[Collection(nameof(RunsAloneForRequestMetrics))]
public sealed class FailoverTelemetryTests
{
    [Fact]
    public async Task Metrics_ThrottleThenSuccessThenGivingUp_RequestsThrottlesAndCooldownsRecorded()
    {
        using var harness = new FailoverHarness(o => o.MaxRetries = 1);
        using var metrics = new Measurements();
        harness.Network.Answer("east", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "1500")));

        using (await harness.SendAsync())
        {
        }

        harness.Network.Answer("west", () => Status(HttpStatusCode.ServiceUnavailable));
        harness.Network.Answer("north", () => Status(HttpStatusCode.ServiceUnavailable));
        await Assert.ThrowsAsync<SecureAoai.Client.Failover.SecureOpenAIFailoverException>(() => harness.SendAsync());

        Assert.Equal(1, metrics.Sum("secureaoai.requests", ("outcome", "success")));
        Assert.Equal(1, metrics.Sum("secureaoai.requests", ("outcome", "failed")));
        Assert.Equal(1, metrics.Sum("secureaoai.throttles", ("endpoint", harness.Prefix + "east")));
        Assert.Equal([1.5], metrics.Values("secureaoai.cooldown", ("endpoint", harness.Prefix + "east")));
        Assert.Equal([1.0], metrics.Values("secureaoai.cooldown", ("endpoint", harness.Prefix + "west")));
        Assert.Equal(1, metrics.Sum("secureaoai.failovers", ("from", harness.Prefix + "east"), ("to", harness.Prefix + "west")));
        Assert.Equal(1, metrics.Sum("secureaoai.attempts", ("endpoint", harness.Prefix + "west"), ("outcome", "200")));
        Assert.Equal(1, metrics.Sum("secureaoai.attempts", ("endpoint", harness.Prefix + "west"), ("outcome", "503")));
    }

    [Fact]
    public async Task Metrics_StreamBreaks_CountedAsBrokenStreamWithCooldown()
    {
        using var harness = new FailoverHarness();
        using var metrics = new Measurements();
        harness.Network.Answer("east", BrokenStreamTests.CutStream);

        using var response = await harness.SendAsync();
        await Assert.ThrowsAnyAsync<IOException>(async () => await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null));

        Assert.Equal(1, metrics.Sum("secureaoai.broken_streams", ("endpoint", harness.Prefix + "east")));
        Assert.Equal([1.0], metrics.Values("secureaoai.cooldown", ("endpoint", harness.Prefix + "east")));
    }

    [Fact]
    public async Task Activity_EachAttempt_TaggedWithEndpointAttemptNumberAndOutcome()
    {
        using var harness = new FailoverHarness();
        var attempts = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "SecureAoai",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "SecureAoai.Attempt" && activity.GetTagItem("secureaoai.endpoint") is string name && name.StartsWith(harness.Prefix, StringComparison.Ordinal))
                {
                    attempts.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        harness.Network.Answer("east", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "100")));

        using (await harness.SendAsync())
        {
        }

        Assert.Equal(
            [(harness.Prefix + "east", 1, "429"), (harness.Prefix + "west", 2, "200")],
            attempts.Select(a => ((string)a.GetTagItem("secureaoai.endpoint")!, (int)a.GetTagItem("secureaoai.attempt")!, (string)a.GetTagItem("secureaoai.outcome")!)));
    }

    [Fact]
    public async Task PollyMeter_FailoverAndCircuitOpening_ReportedAsEventsOfOurPipelines()
    {
        using var harness = new FailoverHarness(o => o.Failover.BreakerFailureThreshold = 2);
        using var metrics = new Measurements("Polly");
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));

        for (var i = 0; i < 2; i++)
        {
            using var _ = await harness.SendAsync();
            harness.Time.Advance(TimeSpan.FromSeconds(2)); // past east's cooldown, within the breaker's window
        }

        Assert.Equal(1, metrics.Sum("resilience.polly.strategy.events", ("pipeline.name", "SecureAoai.Endpoint"), ("pipeline.instance", harness.Prefix + "east"), ("strategy.name", "CircuitBreaker"), ("event.name", "OnCircuitOpened")));
        Assert.True(metrics.Sum("resilience.polly.strategy.events", ("pipeline.name", "SecureAoai.Failover"), ("strategy.name", "Failover"), ("event.name", "OnHedging")) >= 2);
    }

    [Fact]
    public async Task PollyMeter_FirstAttemptServes_OnlyTheEndpointPipelineRuns()
    {
        using var harness = new FailoverHarness();
        using var metrics = new Measurements("Polly");

        using (await harness.SendAsync())
        {
        }

        Assert.Empty(metrics.Values("resilience.polly.pipeline.duration", ("pipeline.name", "SecureAoai.Failover")));
        Assert.Single(metrics.Values("resilience.polly.pipeline.duration", ("pipeline.name", "SecureAoai.Endpoint"), ("pipeline.instance", harness.Prefix + "east")));
    }

    [Fact]
    public async Task PollyMeter_OneFailover_OneHedgingEventAndBothAttemptsReported()
    {
        using var harness = new FailoverHarness();
        using var metrics = new Measurements("Polly");
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));

        using (await harness.SendAsync())
        {
        }

        const string Pipeline = "SecureAoai.Failover";
        Assert.Equal(1, metrics.Sum("resilience.polly.strategy.events", ("pipeline.name", Pipeline), ("strategy.name", "Failover"), ("event.name", "OnHedging")));
        Assert.Single(metrics.Values("resilience.polly.strategy.attempt.duration", ("pipeline.name", Pipeline), ("attempt.number", 0), ("attempt.handled", true)));
        Assert.Single(metrics.Values("resilience.polly.strategy.attempt.duration", ("pipeline.name", Pipeline), ("attempt.number", 1), ("attempt.handled", false)));
        Assert.Single(metrics.Values("resilience.polly.pipeline.duration", ("pipeline.name", Pipeline)));
    }

    /// <summary>Records a meter's measurements with their tags.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _all = new();

        public Measurements(string meter = "SecureAoai")
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
            _listener.Start();
        }

        public double[] Values(string instrument, params (string Key, object Value)[] tags) =>
            _all.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.Any(k => k.Key == t.Key && Equals(k.Value, t.Value)))).Select(m => m.Value).ToArray();

        public double Sum(string instrument, params (string Key, object Value)[] tags) => Values(instrument, tags).Sum();

        public void Dispose() => _listener.Dispose();
    }
}
