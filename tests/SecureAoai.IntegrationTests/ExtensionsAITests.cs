using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> and <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
/// from <c>AddSecureOpenAI</c>, against three emulated regions whose first is throttled: the
/// abstractions ride the secured clients, so failover, usage metrics and the middleware configured
/// with <c>ConfigureChatClient</c> all apply.
/// </summary>
public sealed class ExtensionsAITests
{
    [Fact]
    public async Task GetStreamingResponse_FirstRegionThrottled_StreamsFromNextRegionAndCountsUsage()
    {
        await using var rig = await FailoverRig.StartAsync();
        rig.East.Throttle(TimeSpan.FromSeconds(30));
        var prefix = Prefix();
        using var metrics = new MeterRecorder(prefix);
        await using var provider = FailoverRig.Build(rig.Settings(prefix));
        var chat = provider.GetRequiredService<IChatClient>();

        var text = new StringBuilder();
        UsageDetails? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.GetStreamingResponseAsync("stream through the abstraction"))
        {
            text.Append(update.Text);
            finish ??= update.FinishReason;
            usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
        }

        Assert.Contains("stream through the abstraction", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(1, rig.East.ThrottledCount);
        Assert.Equal(1, metrics.Sum("secureaoai.failovers", ("from", prefix + "east"), ("to", prefix + "west")));
        Assert.Equal(usage.InputTokenCount, metrics.Sum("secureaoai.tokens", ("endpoint", prefix + "west"), ("kind", "prompt")));
        Assert.Equal(usage.OutputTokenCount, metrics.Sum("secureaoai.tokens", ("endpoint", prefix + "west"), ("kind", "completion")));
    }

    [Fact]
    public async Task GenerateAsync_FirstRegionThrottled_EmbedsInNextRegionAndCountsUsage()
    {
        await using var rig = await FailoverRig.StartAsync();
        rig.East.Throttle(TimeSpan.FromSeconds(30));
        var prefix = Prefix();
        using var metrics = new MeterRecorder(prefix);
        await using var provider = FailoverRig.Build(rig.Settings(prefix));
        var embeddings = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        var vectors = await embeddings.GenerateAsync(["first chunk", "second chunk"]);

        Assert.Equal(2, vectors.Count);
        Assert.All(vectors, v => Assert.True(v.Vector.Length > 0));
        Assert.NotEqual(vectors[0].Vector.ToArray(), vectors[1].Vector.ToArray());
        Assert.NotNull(vectors.Usage?.InputTokenCount);
        Assert.Equal(1, rig.East.ThrottledCount);
        Assert.Equal(vectors.Usage.InputTokenCount, metrics.Sum("secureaoai.tokens", ("endpoint", prefix + "west"), ("kind", "prompt")));
    }

    [Fact]
    public async Task GetResponse_TwoChatDeploymentsKeyed_EachKeyReachesItsOwnDeployment()
    {
        await using var rig = await FailoverRig.StartAsync(instance =>
            instance.Deployments["gpt-4o"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Chat, Model = "gpt-4o-2024-08-06" });
        var settings = rig.Settings(Prefix());
        settings["SecureOpenAI:Deployments:big:Name"] = "gpt-4o";
        await using var provider = FailoverRig.Build(settings);

        var small = await provider.GetRequiredKeyedService<IChatClient>("chat").GetResponseAsync("which model?");
        var big = await provider.GetRequiredKeyedService<IChatClient>("big").GetResponseAsync("which model?");

        Assert.Equal(EmulatorDeployment.DefaultChatModel, small.ModelId);
        Assert.Equal("gpt-4o-2024-08-06", big.ModelId);
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatClient>());
        Assert.Contains("[FromKeyedServices(", error.Message, StringComparison.Ordinal);
        Assert.Contains("IChatClient", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetService_OneChatDeployment_UnkeyedIsTheKeyedClient()
    {
        await using var rig = await FailoverRig.StartAsync();
        await using var provider = FailoverRig.Build(rig.Settings(Prefix()));

        Assert.Same(provider.GetRequiredKeyedService<IChatClient>("chat"), provider.GetRequiredService<IChatClient>());
        Assert.Same(
            provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("embeddings"),
            provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredKeyedService<IChatClient>("embeddings"));
        Assert.Contains("No chat deployment named 'embeddings'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigureChatClient_OpenTelemetryAndLogging_WrapTheSecuredAttempts()
    {
        await using var rig = await FailoverRig.StartAsync();
        rig.East.Throttle(TimeSpan.FromSeconds(30));
        var source = "test.meai." + Guid.NewGuid().ToString("N");
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source || s.Name == "SecureAoai",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new CapturingLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(rig.Settings(Prefix())).Build();
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"))
            .ConfigureChatClient(chat => chat.UseOpenTelemetry(sourceName: source).UseLogging());
        await using var provider = services.BuildServiceProvider();

        var answer = await provider.GetRequiredService<IChatClient>().GetResponseAsync("traced");

        Assert.Contains("traced", answer.Text, StringComparison.Ordinal);
        var chatActivity = Assert.Single(activities, a => a.Source.Name == source);
        Assert.Equal("chat", chatActivity.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(EmulatorDeployment.DefaultChatModel, chatActivity.GetTagItem("gen_ai.response.model"));
        // The throttled attempt and the one that answered, both inside the middleware's activity.
        var attempts = activities.Where(a => a.OperationName == "SecureAoai.Attempt" && a.TraceId == chatActivity.TraceId).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Contains(logs.Lines, l => l.Contains(nameof(LoggingChatClient), StringComparison.Ordinal));
    }

    private static string Prefix() => $"meai{Guid.NewGuid():N}"[..12] + "-";
}
