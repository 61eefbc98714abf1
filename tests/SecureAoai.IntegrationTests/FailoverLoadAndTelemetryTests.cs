using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Failover;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>Failover under random faults, and what it reports: metrics, usage, rate limits.</summary>
public sealed class FailoverLoadAndTelemetryTests
{
    [Fact]
    public async Task CompleteChat_ThousandRequestsWithRandomFaults_EachSucceedsOrListsAttemptsAndCountsAgree()
    {
        const int Requests = 1000;
        const string Prefix = "load-";
        var seed = 7;
        await using var rig = await FailoverRig.StartAsync(i => i.FaultSeed = seed++);
        var settings = rig.Settings(Prefix);
        settings["SecureOpenAI:Failover:BaseCooldown"] = "00:00:00.002";
        settings["SecureOpenAI:Failover:BreakerFailureThreshold"] = "1000";
        using var provider = FailoverRig.Build(settings);
        using var metrics = new MeterRecorder(Prefix);
        foreach (var instance in rig.Emulator.Instances)
        {
            instance.InjectErrors(0.3, 500, 502, 503);
        }

        var chat = provider.GetRequiredService<ChatClient>();
        var succeeded = 0;
        var failed = 0;
        var failedAttempts = 0;
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await chat.CompleteChatAsync([new UserChatMessage($"request {i}")]);
                Interlocked.Increment(ref succeeded);
            }
            catch (SecureOpenAIFailoverException ex)
            {
                Assert.NotEmpty(ex.Attempts);
                Assert.All(ex.Attempts, a => Assert.Contains(a.Status, new int?[] { 500, 502, 503, null }));
                Interlocked.Increment(ref failed);
                Interlocked.Add(ref failedAttempts, ex.Attempts.Count(a => a.Status is not null));
            }
            finally
            {
                gate.Release();
            }
        }));

        var served = rig.Emulator.Instances.Sum(i => i.RequestCount - i.FaultedCount);
        var faulted = rig.Emulator.Instances.Sum(i => i.FaultedCount);
        Assert.Equal(Requests, succeeded + failed);
        Assert.Equal(succeeded, served);
        Assert.Equal(rig.TotalRequests, metrics.Sum("secureaoai.attempts"));
        Assert.Equal(faulted, metrics.Sum("secureaoai.attempts") - metrics.Sum("secureaoai.attempts", ("outcome", "200")));
        Assert.True(faulted > 0, "the faults were injected");
        Assert.True(metrics.Sum("secureaoai.failovers") > 0, "some requests moved");
    }

    [Fact]
    public async Task Usage_StreamedAndBuffered_CountedByEndpointAndDeployment()
    {
        const string Prefix = "usage-";
        await using var rig = await FailoverRig.StartAsync();
        using var provider = FailoverRig.Build(rig.Settings(Prefix));
        using var metrics = new MeterRecorder(Prefix);
        var chat = provider.GetRequiredService<ChatClient>();

        var buffered = await chat.CompleteChatAsync([new UserChatMessage("three words here")]);
        ChatTokenUsage? streamedUsage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("and a streamed one")]))
        {
            streamedUsage ??= update.Usage;
        }

        Assert.NotNull(streamedUsage);
        var tags = new[] { ("endpoint", Prefix + "east"), ("deployment", SecureClients.ChatDeployment), ("kind", "prompt") };
        Assert.Equal(buffered.Value.Usage.InputTokenCount + streamedUsage!.InputTokenCount, metrics.Sum("secureaoai.tokens", tags));
        Assert.Equal(
            buffered.Value.Usage.OutputTokenCount + streamedUsage.OutputTokenCount,
            metrics.Sum("secureaoai.tokens", ("endpoint", Prefix + "east"), ("kind", "completion")));
    }

    [Fact]
    public async Task RateLimits_AfterAnswer_LastRemainingQuotaReadable()
    {
        const string Prefix = "quota-";
        await using var rig = await FailoverRig.StartAsync(i => i.RateLimits[SecureClients.ChatDeployment] = new EmulatorRateLimit { RequestsPerMinute = 10, TokensPerMinute = 10_000 });
        using var provider = FailoverRig.Build(rig.Settings(Prefix));
        var chat = provider.GetRequiredService<ChatClient>();

        await chat.CompleteChatAsync([new UserChatMessage("one")]);
        await chat.CompleteChatAsync([new UserChatMessage("two")]);

        var snapshot = provider.GetRequiredService<SecureOpenAIRateLimits>().Get(Prefix + "east");
        Assert.NotNull(snapshot);
        Assert.Equal(8, snapshot!.RemainingRequests);
        Assert.True(snapshot.RemainingTokens is > 0 and < 10_000);
    }
}
