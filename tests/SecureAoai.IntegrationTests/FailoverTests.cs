using System.ClientModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;
using SecureAoai.Client.Failover;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>Three emulated regions: throttles, outages and faults move requests, never a started stream.</summary>
public sealed class FailoverTests
{
    private static Task<ClientResult<ChatCompletion>> AskAsync(ServiceProvider provider, string prompt = "hello") =>
        provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage(prompt)]);

    [Fact]
    public async Task CompleteChat_PrimaryThrottled_SecondaryServesAtOnceAndPrimaryAfterCooldown()
    {
        await using var rig = await FailoverRig.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var provider = FailoverRig.Build(rig.Settings(), time);
        var cooldown = TimeSpan.FromSeconds(1);
        rig.East.Throttle(cooldown);

        var first = await AskAsync(provider);
        var second = await AskAsync(provider);

        // The 429 moved the first call to west; the second did not even try east.
        Assert.Contains("west", first.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Contains("west", second.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(1, rig.East.RequestCount);
        Assert.Equal(2, rig.West.RequestCount);

        rig.East.ClearFaults();
        time.Advance(cooldown); // east's cooldown runs out on the SDK's clock
        var third = await AskAsync(provider);

        Assert.Contains("east", third.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(2, rig.East.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_PrimaryDown_SecondaryServes()
    {
        await using var rig = await FailoverRig.StartAsync();
        using var provider = FailoverRig.Build(rig.Settings());
        await rig.East.StopAsync();

        var answer = await AskAsync(provider);

        Assert.Contains("west", answer.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(0, rig.East.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_AllThrottledShortRetryAfter_WaitsAndSucceeds()
    {
        await using var rig = await FailoverRig.StartAsync(i =>
        {
            i.RateLimitWindow = TimeSpan.FromSeconds(1);
            i.RateLimits["gpt-4o-mini"] = new EmulatorRateLimit { RequestsPerMinute = 1 };
        });
        using var provider = FailoverRig.Build(rig.Settings());

        // Three calls use each region's one request per window; the fourth finds all cooling.
        for (var i = 0; i < 3; i++)
        {
            await AskAsync(provider, $"fill {i}");
        }

        var answer = await AskAsync(provider, "after the wait");

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(4, rig.Emulator.Instances.Sum(i => i.RequestCount - i.ThrottledCount));
    }

    [Fact]
    public async Task CompleteChat_AllThrottledLongRetryAfter_FailsFastListingEveryAttemptWithCappedCooldown()
    {
        await using var rig = await FailoverRig.StartAsync();
        var settings = rig.Settings();
        settings["SecureOpenAI:MaxRetryAfter"] = "00:01:00";
        using var provider = FailoverRig.Build(settings);
        foreach (var instance in rig.Emulator.Instances)
        {
            instance.Throttle(TimeSpan.FromHours(24));
        }

        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => AskAsync(provider));

        Assert.Equal(["east", "west", "north"], error.Attempts.Select(a => a.Endpoint));
        Assert.All(error.Attempts, a =>
        {
            Assert.Equal(429, a.Status);
            Assert.Equal(TimeSpan.FromMinutes(1), a.Cooldown);
            Assert.Contains("asked to wait 86400 s, capped at 60 s", a.Reason, StringComparison.Ordinal);
        });
        Assert.Equal(3, rig.TotalRequests);
    }

    [Fact]
    public async Task CompleteChatStreaming_ConnectionCutMidStream_ErrorToCallerAndNoReplay()
    {
        await using var rig = await FailoverRig.StartAsync();
        using var provider = FailoverRig.Build(rig.Settings());
        rig.East.InjectStreamCut(afterBytes: 300);
        var received = new System.Text.StringBuilder();

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in provider.GetRequiredService<ChatClient>().CompleteChatStreamingAsync(
                [new UserChatMessage("a long enough answer to be cut somewhere in the middle of its stream of chunks")]))
            {
                foreach (var part in update.ContentUpdate)
                {
                    received.Append(part.Text);
                }
            }
        });

        Assert.NotNull(error);
        Assert.Equal(1, rig.East.RequestCount);
        Assert.Equal(0, rig.West.RequestCount + rig.North.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_ContentFiltered400_DoesNotFailOver()
    {
        await using var rig = await FailoverRig.StartAsync();
        using var provider = FailoverRig.Build(rig.Settings());

        var error = await Assert.ThrowsAsync<ClientResultException>(() => AskAsync(provider, "please [[content_filter]] this"));

        Assert.Equal(400, error.Status);
        Assert.Equal(1, rig.East.RequestCount);
        Assert.Equal(0, rig.West.RequestCount + rig.North.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_EndpointKeepsFailing_CircuitOpensAndKeepsItOut()
    {
        await using var rig = await FailoverRig.StartAsync();
        var settings = rig.Settings();
        settings["SecureOpenAI:Failover:BreakerFailureThreshold"] = "2";
        settings["SecureOpenAI:Failover:BaseCooldown"] = "00:00:00.001";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var provider = FailoverRig.Build(settings, time);
        rig.East.InjectErrors(1.0, 503);

        for (var i = 0; i < 6; i++)
        {
            await AskAsync(provider, $"call {i}");
            time.Advance(TimeSpan.FromMilliseconds(5)); // past east's 1 ms cooldown: only the open circuit keeps it out
        }

        Assert.Equal(2, rig.East.RequestCount);
        Assert.Equal(6, rig.West.RequestCount);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2024-10-21")]
    public async Task CompleteChat_SecondaryNamesDeploymentDifferently_RequestRewrittenForIt(string? apiVersion)
    {
        await using var rig = await FailoverRig.StartAsync(i =>
        {
            if (i.Name == "west")
            {
                i.Deployments.Remove(SecureClients.ChatDeployment);
                i.Deployments["gpt-4o-mini-west"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Chat };
            }
        });
        var settings = rig.Settings();
        settings["SecureOpenAI:Endpoints:1:Deployments:chat"] = "gpt-4o-mini-west";
        settings["SecureOpenAI:ApiVersion"] = apiVersion;
        using var provider = FailoverRig.Build(settings);
        await rig.East.StopAsync();

        var answer = await AskAsync(provider, "to the west deployment");

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(1, rig.West.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_CancelledWhileWaitingForCooldown_StopsAtOnce()
    {
        await using var rig = await FailoverRig.StartAsync();
        using var provider = FailoverRig.Build(rig.Settings());
        foreach (var instance in rig.Emulator.Instances)
        {
            instance.Throttle(TimeSpan.FromSeconds(30));
        }

        using var cancel = new CancellationTokenSource();
        var call = provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("patience")], cancellationToken: cancel.Token);
        for (var i = 0; i < 500 && rig.TotalRequests < 3; i++)
        {
            await Task.Delay(10); // until every region has answered 429 and the handler waits
        }

        Assert.Equal(3, rig.TotalRequests);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(3, rig.TotalRequests);
    }

    [Fact]
    public async Task CompleteChat_PrimaryTooSlow_AttemptTimesOutAndSecondaryServes()
    {
        await using var rig = await FailoverRig.StartAsync();
        var settings = rig.Settings();
        settings["SecureOpenAI:Failover:AttemptTimeout"] = "00:00:00.500";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var provider = FailoverRig.Build(settings, time);
        rig.East.InjectLatency(TimeSpan.FromMinutes(10));

        // The attempt's clock is the SDK's: it runs out only when east has the request (the TLS
        // connect and the token are done), however long those took.
        var call = AskAsync(provider);
        for (var i = 0; i < 3000 && rig.East.RequestCount == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, rig.East.RequestCount);
        time.Advance(TimeSpan.FromMilliseconds(500));
        var answer = await call.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("west", answer.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(1, rig.East.RequestCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_RegionCutsEveryStream_AfterAFewCutsNewStreamsGoToTheHealthyRegion()
    {
        const int Requests = 20;
        const int BreakerThreshold = 5;
        await using var rig = await FailoverRig.StartAsync();
        var settings = rig.Settings();
        settings["SecureOpenAI:Failover:BreakerFailureThreshold"] = BreakerThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["SecureOpenAI:Failover:BreakerBreakDuration"] = "01:00:00";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var provider = FailoverRig.Build(settings, time);
        rig.East.Throttle(TimeSpan.FromSeconds(1));
        rig.West.InjectStreamCut(afterBytes: 300);
        var chat = provider.GetRequiredService<ChatClient>();

        var outcomes = new List<bool>();
        for (var i = 0; i < Requests; i++)
        {
            var error = await Record.ExceptionAsync(async () =>
            {
                await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage($"a streamed answer long enough to be cut, number {i}")]))
                {
                }
            });
            outcomes.Add(error is null);

            // Past every cooldown (capped at MaxRetryAfter, 60 s): only west's circuit can keep it out.
            time.Advance(TimeSpan.FromSeconds(61));
        }

        // Each cut stream is a success (its headers) and a failure (its cut) for west's breaker: at
        // half failures and the threshold's count of outcomes, the third cut opens it.
        var cuts = outcomes.Count(ok => !ok);
        Assert.Equal(rig.West.FaultedCount, cuts);
        Assert.InRange(cuts, 1, BreakerThreshold);
        Assert.All(outcomes.Skip(cuts), Assert.True);
        Assert.Equal(Requests - cuts, rig.North.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_FailoverToARegionThatRefuses_RefusalNamesThatRegion()
    {
        await using var rig = await FailoverRig.StartAsync();
        using var provider = FailoverRig.Build(rig.Settings());
        rig.East.Throttle(TimeSpan.FromSeconds(30));
        rig.West.AllowedSourceCidrs.Add("10.0.0.0/8");

        var error = await Assert.ThrowsAsync<SecureAoai.Client.SecureOpenAIException>(() => AskAsync(provider));

        // East answered 429 and the request moved on; west's firewall is what refused it.
        Assert.Equal(SecureAoai.Client.SecureOpenAIRefusal.FirewallDenied, error.Reason);
        Assert.Equal(rig.West.Endpoint.Port, error.Endpoint.Port);
        Assert.Contains($"localhost:{rig.West.Port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain($"localhost:{rig.East.Port}", error.Message, StringComparison.Ordinal);
    }
}
