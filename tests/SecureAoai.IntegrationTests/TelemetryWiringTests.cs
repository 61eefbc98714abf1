using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SecureAoai.Client;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// docs/telemetry.md's wiring of OpenTelemetry.Extensions.Hosting, with the in-memory exporter in
/// place of OTLP: a chat that fails over from a throttled region exports what the page lists.
/// </summary>
public sealed class TelemetryWiringTests
{
    private const string ExtensionsAISource = "Experimental.Microsoft.Extensions.AI";

    [Fact]
    public async Task DocumentedWiring_ChatFailsOver_ExportsSecureAoaiPollyAndGenAiTelemetry()
    {
        await using var rig = await FailoverRig.StartAsync();
        rig.East.Throttle(TimeSpan.FromSeconds(30));
        var prefix = $"otel{Guid.NewGuid():N}"[..12] + "-";
        var metrics = new List<MetricSnapshot>();
        var activities = new List<Activity>();
        // Activity listeners are process-wide and other tests run at the same time: this test's spans are
        // the ones under its own root.
        using var testSource = new ActivitySource("SecureAoai.IntegrationTests.TelemetryWiring");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(rig.Settings(prefix));
        builder.Services.AddLogging();
        // As on the page, but exporting in memory.
        builder.AddSecureOpenAI().ConfigureChatClient(chat => chat.UseOpenTelemetry());
        builder.Services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(SecureOpenAITelemetry.MeterName, "Polly", ExtensionsAISource).AddInMemoryExporter(metrics))
            .WithTracing(t => t.AddSource(SecureOpenAITelemetry.ActivitySourceName, ExtensionsAISource, testSource.Name).AddInMemoryExporter(activities));
        using var host = builder.Build();
        await host.StartAsync();

        ChatResponse answer;
        ActivityTraceId trace;
        using (var root = testSource.StartActivity("test"))
        {
            Assert.NotNull(root);
            trace = root.TraceId;
            answer = await host.Services.GetRequiredService<IChatClient>().GetResponseAsync("exported");
        }

        Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush());
        Assert.True(host.Services.GetRequiredService<TracerProvider>().ForceFlush());
        await host.StopAsync();

        var names = metrics.Select(m => m.Name).ToHashSet();
        foreach (var name in (string[])["secureaoai.requests", "secureaoai.attempts", "secureaoai.failovers", "secureaoai.throttles", "secureaoai.cooldown", "secureaoai.tokens",
            "resilience.polly.strategy.events", "resilience.polly.pipeline.duration", "gen_ai.client.operation.duration", "gen_ai.client.token.usage"])
        {
            Assert.Contains(name, names);
        }

        Assert.Equal(answer.Usage!.InputTokenCount, Sum(metrics, "secureaoai.tokens", ("endpoint", prefix + "west"), ("kind", "prompt")));
        Assert.Equal(1, Sum(metrics, "secureaoai.throttles", ("endpoint", prefix + "east")));

        var chat = Assert.Single(activities, a => a.Source.Name == ExtensionsAISource && a.TraceId == trace);
        var attempts = activities.Where(a => a.OperationName == "SecureAoai.Attempt" && a.TraceId == chat.TraceId).OrderBy(a => a.GetTagItem("secureaoai.attempt")).ToList();
        Assert.Equal([prefix + "east", prefix + "west"], attempts.Select(a => a.GetTagItem("secureaoai.endpoint")));
        Assert.Equal(["429", "200"], attempts.Select(a => a.GetTagItem("secureaoai.outcome")));
        Assert.Contains(activities, a => a.OperationName == "SecureAoai.AcquireToken" && a.TraceId == trace && a.GetTagItem("secureaoai.credential") is string { Length: > 0 });
    }

    /// <summary>The last cumulative value of a counter's points that carry every tag given.</summary>
    private static long Sum(List<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags)
    {
        var last = metrics.Last(m => m.Name == name);
        long sum = 0;
        foreach (var point in last.MetricPoints)
        {
            var pointTags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                pointTags[tag.Key] = tag.Value;
            }

            if (tags.All(t => pointTags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))
            {
                sum += point.GetSumLong();
            }
        }

        return sum;
    }
}
