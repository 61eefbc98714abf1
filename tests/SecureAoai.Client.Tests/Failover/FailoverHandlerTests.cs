using System.Diagnostics;
using System.Net;
using Polly.CircuitBreaker;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Networking;
using static SecureAoai.Client.Tests.Failover.ScriptedNetwork;

namespace SecureAoai.Client.Tests.Failover;

/// <summary>What docs/failover.md promises, on a fake clock: no test here waits for real time.</summary>
public sealed class FailoverHandlerTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>Moves the fake clock in small steps until <paramref name="task"/> completes (a timer may be registered a moment after a request reached the network).</summary>
    private static async Task<T> AdvanceUntilDoneAsync<T>(FailoverHarness harness, Task<T> task, TimeSpan step, int maxSteps = 200)
    {
        for (var i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            harness.Time.Advance(step);
            await Task.WhenAny(task, Task.Delay(10));
        }

        return await task.WaitAsync(Guard);
    }

    private static async Task ReachedAsync(FailoverHarness harness, string name, int count)
    {
        for (var i = 0; i < 3000 && harness.Network.CountFor(name) < count; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(count, harness.Network.CountFor(name));
    }

    [Fact]
    public async Task SendAsync_PrimaryThrottled_SecondaryServesAtOnceAndPrimaryAfterItsCooldown()
    {
        using var harness = new FailoverHarness();
        harness.Network.Answer("east", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "1000")));

        using var first = await harness.SendAsync();
        using var second = await harness.SendAsync();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(1, harness.Network.CountFor("east"));
        Assert.Equal(2, harness.Network.CountFor("west"));

        harness.Network.Hosts.Clear();
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var third = await harness.SendAsync();

        Assert.Equal(2, harness.Network.CountFor("east"));
        Assert.Equal(2, harness.Network.CountFor("west"));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task SendAsync_RequestRefused_ReachesCallerWithoutFailover(HttpStatusCode status)
    {
        using var harness = new FailoverHarness();
        harness.Network.Answer("east", () => Status(status));

        using var response = await harness.SendAsync();

        Assert.Equal(status, response.StatusCode);
        // A 401 gets one token refresh and one more send, at the same endpoint; nothing fails over.
        Assert.Equal(status == HttpStatusCode.Unauthorized ? 2 : 1, harness.Network.CountFor("east"));
        Assert.Equal(0, harness.Network.CountFor("west") + harness.Network.CountFor("north"));
    }

    [Fact]
    public async Task SendAsync_NotFoundWithFailoverOnNotFound_NextEndpointServes()
    {
        using var harness = new FailoverHarness(o => o.Failover.FailoverOnNotFound = true);
        harness.Network.Answer("east", () => Status(HttpStatusCode.NotFound));

        using var response = await harness.SendAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("west", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NotFoundEverywhereWithFailoverOnNotFound_FailsListingEachEndpoint()
    {
        using var harness = new FailoverHarness(o => o.Failover.FailoverOnNotFound = true);
        foreach (var name in new[] { "east", "west", "north" })
        {
            harness.Network.Answer(name, () => Status(HttpStatusCode.NotFound));
        }

        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => harness.SendAsync());

        Assert.Equal([404, 404, 404], error.Attempts.Select(a => a.Status));
        Assert.All(error.Attempts, a => Assert.Equal("not found at this endpoint", a.Reason));
    }

    [Fact]
    public async Task Breaker_FailuresReachThreshold_EndpointKeptOutThenProbedOnceAfterBreakDuration()
    {
        using var harness = new FailoverHarness(o =>
        {
            o.Failover.BreakerFailureThreshold = 2;
            o.Failover.BaseCooldown = TimeSpan.FromMilliseconds(1);
            o.Failover.BreakerBreakDuration = TimeSpan.FromSeconds(30);
        });
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));

        for (var i = 0; i < 4; i++)
        {
            using var answer = await harness.SendAsync();
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            harness.Time.Advance(TimeSpan.FromMilliseconds(50)); // past east's cooldown: only the circuit keeps it out
        }

        Assert.Equal(2, harness.Network.CountFor("east"));
        Assert.Equal(CircuitState.Open, harness["east"].Circuit.CircuitState);

        harness.Network.Hosts.Clear();
        harness.Time.Advance(TimeSpan.FromSeconds(29));
        using (await harness.SendAsync())
        {
            Assert.Equal(2, harness.Network.CountFor("east"));
        }

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        using var probe = await harness.SendAsync();

        Assert.Contains("east", await probe.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(3, harness.Network.CountFor("east"));
        Assert.Equal(CircuitState.Closed, harness["east"].Circuit.CircuitState);
    }

    [Fact]
    public async Task Breaker_OnlyThrottles_NeverOpens()
    {
        using var harness = new FailoverHarness(o => o.Failover.BreakerFailureThreshold = 2);
        harness.Network.Answer("east", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "10")));

        for (var i = 0; i < 6; i++)
        {
            using var answer = await harness.SendAsync();
            harness.Time.Advance(TimeSpan.FromMilliseconds(20));
        }

        Assert.Equal(6, harness.Network.CountFor("east"));
        Assert.Equal(CircuitState.Closed, harness["east"].Circuit.CircuitState);
    }

    [Fact]
    public async Task SendAsync_AllCoolingAndWaitFitsBudget_WaitsThenServes()
    {
        using var harness = new FailoverHarness();
        var eastCalls = 0;
        harness.Network.Answer("east", () => Interlocked.Increment(ref eastCalls) == 1 ? Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "2000")) : new HttpResponseMessage(HttpStatusCode.OK));
        harness.Network.Answer("west", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "3000")));
        harness.Network.Answer("north", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "4000")));

        var call = harness.SendAsync();
        await ReachedAsync(harness, "north", 1);
        Assert.False(call.IsCompleted, "every endpoint is cooling: the request waits for the first one");

        using var response = await AdvanceUntilDoneAsync(harness, call, TimeSpan.FromMilliseconds(100));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, eastCalls);
        Assert.True(harness.Time.GetUtcNow() - DateTimeOffset.Parse("2026-11-23T10:00:00Z") >= TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task SendAsync_AllCoolingLongerThanBudget_FailsAtOnceListingAttemptsThenSkippedEndpoints()
    {
        using var harness = new FailoverHarness(o => o.Failover.TotalTimeout = TimeSpan.FromSeconds(2));
        foreach (var name in new[] { "east", "west", "north" })
        {
            harness.Network.Answer(name, () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "5000")));
        }

        // No clock moves: an answer that came without a wait is the proof that none was made.
        var first = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => harness.SendAsync());
        var second = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => harness.SendAsync());

        Assert.Equal([429, 429, 429], first.Attempts.Select(a => a.Status));
        Assert.All(first.Attempts, a => Assert.Equal(TimeSpan.FromSeconds(5), a.Cooldown));
        Assert.Equal(3, harness.Network.Sent.Count);
        Assert.Equal(harness.Table.Endpoints.Select(e => e.Name), second.Attempts.Select(a => a.Endpoint));
        Assert.All(second.Attempts, a => Assert.Equal("skipped: cooling down for 5 s more", a.Reason));
        Assert.Contains("no endpoint can take the request within the budget", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ThrottleAskingMoreThanCap_CappedAndNeverWaitedFor()
    {
        using var harness = new FailoverHarness();
        foreach (var name in new[] { "east", "west", "north" })
        {
            harness.Network.Answer(name, () => Status(HttpStatusCode.TooManyRequests, ("Retry-After", "86400")));
        }

        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => harness.SendAsync());

        Assert.All(error.Attempts, a =>
        {
            Assert.Equal(TimeSpan.FromMinutes(1), a.Cooldown);
            Assert.Contains("asked to wait 86400 s, capped at 60 s", a.Reason, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task SendAsync_EveryEndpointRefusedByNetworkPolicy_ThrowsThatRefusal()
    {
        using var harness = new FailoverHarness(o =>
        {
            for (var i = 0; i < o.Endpoints.Count; i++)
            {
                o.Endpoints[i].Network = new SecureOpenAINetworkOptions { HostOverrides = { [o.Endpoints[i].Uri!.Host] = $"20.0.0.{i + 1}" } };
            }
        });

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(() => harness.SendAsync());

        Assert.Equal(EndpointNetworkFailure.PolicyViolation, error.Reason);
        Assert.Contains("(public)", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Network.Sent);
    }

    [Fact]
    public async Task SendAsync_PerEndpointNetworkSections_EachEndpointJudgedByItsOwn()
    {
        using var harness = new FailoverHarness(o =>
        {
            o.Endpoints[0].Network = new SecureOpenAINetworkOptions { Policy = NetworkPolicy.RequirePrivate, HostOverrides = { ["east.openai.azure.com"] = "20.1.2.3" } };
            o.Endpoints[1].Network = new SecureOpenAINetworkOptions { Policy = NetworkPolicy.PreferPrivate, HostOverrides = { ["west.openai.azure.com"] = "20.1.2.4" } };
        });

        using var response = await harness.SendAsync();

        Assert.Contains("west", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, harness.Network.CountFor("east"));
    }

    [Fact]
    public async Task SendAsync_AttemptGetsNoHeadersInTime_NextEndpointServes()
    {
        using var harness = new FailoverHarness(o => o.Failover.AttemptTimeout = TimeSpan.FromSeconds(2));
        harness.Network.Hosts["east.openai.azure.com"] = async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new UnreachableException();
        };

        var call = harness.SendAsync();
        await ReachedAsync(harness, "east", 1);
        harness.Time.Advance(TimeSpan.FromSeconds(2));
        using var response = await call.WaitAsync(Guard);

        Assert.Contains("west", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TotalTimeoutRunsOut_FailsNamingIt()
    {
        using var harness = new FailoverHarness(o =>
        {
            o.Failover.AttemptTimeout = TimeSpan.FromSeconds(2);
            o.Failover.TotalTimeout = TimeSpan.FromSeconds(3);
        });
        foreach (var name in new[] { "east", "west", "north" })
        {
            harness.Network.Hosts[$"{name}.openai.azure.com"] = async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new UnreachableException();
            };
        }

        var call = harness.SendAsync();
        await ReachedAsync(harness, "east", 1);
        harness.Time.Advance(TimeSpan.FromSeconds(2));
        await ReachedAsync(harness, "west", 1);
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => call.WaitAsync(Guard));

        Assert.Contains("the total timeout of 3 s (SecureOpenAI:Failover:TotalTimeout) ran out", error.Message, StringComparison.Ordinal);
        Assert.Equal("no response headers within 2 s", error.Attempts[0].Reason);
    }

    [Fact]
    public async Task SendAsync_WaitThenFirstAttemptStalls_OneTotalTimeoutCoversBoth()
    {
        using var harness = new FailoverHarness(
            o =>
            {
                o.MaxRetries = 0;
                o.Failover.AttemptTimeout = TimeSpan.FromSeconds(3);
                o.Failover.TotalTimeout = TimeSpan.FromSeconds(3);
            },
            "east");
        harness.Network.Answer("east", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "2000")));
        await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => harness.SendAsync());
        harness.Network.Hosts["east.openai.azure.com"] = async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new UnreachableException();
        };

        // East is cooling for 2 s, which fits the 3 s budget: the request waits, then east stalls.
        var call = harness.SendAsync();
        for (var i = 0; i < 200 && harness.Network.CountFor("east") < 2; i++)
        {
            harness.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }

        await ReachedAsync(harness, "east", 2);
        var waited = harness.Time.GetUtcNow() - DateTimeOffset.Parse("2026-11-23T10:00:00Z");
        Assert.False(call.IsCompleted, "the attempt after the wait stalls");

        // What is left of the budget ends the attempt, long before its own 3 s would.
        harness.Time.Advance(TimeSpan.FromSeconds(3) - waited);
        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => call.WaitAsync(Guard));

        Assert.Contains("the total timeout of 3 s (SecureOpenAI:Failover:TotalTimeout) ran out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_CallerCancelsDuringFirstAttempt_CancelledWithoutFailover()
    {
        using var harness = new FailoverHarness();
        harness.Network.Hosts["east.openai.azure.com"] = async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new UnreachableException();
        };

        using var cancel = new CancellationTokenSource();
        var call = harness.SendAsync(cancellationToken: cancel.Token);
        await ReachedAsync(harness, "east", 1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        Assert.Single(harness.Network.Sent);
        Assert.True(harness["east"].IsAvailable(harness.Time.GetUtcNow()), "a cancelled attempt is not the endpoint's failure");
    }

    [Fact]
    public async Task SendAsync_ClientHeadersOnEveryAttempt_SentAsWrittenWithoutTheCallersCredentials()
    {
        using var harness = new FailoverHarness();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(string Host, string? UserAgent, string? RequestId, bool CallerKey)>();
        Task<HttpResponseMessage> Record(HttpRequestMessage request, HttpStatusCode status)
        {
            var headers = request.Headers.NonValidated;
            seen.Enqueue((
                request.RequestUri!.Host.Split('.')[0],
                headers.TryGetValues("User-Agent", out var agent) ? agent.ToString() : null,
                headers.TryGetValues("x-ms-client-request-id", out var id) ? id.ToString() : null,
                headers.Contains("api-key")));
            return Task.FromResult(Status(status));
        }

        harness.Network.Hosts["east.openai.azure.com"] = (request, _) => Record(request, HttpStatusCode.ServiceUnavailable);
        harness.Network.Hosts["west.openai.azure.com"] = (request, _) => Record(request, HttpStatusCode.OK);

        // As written by the client; User-Agent's parser would write it back with one space.
        const string UserAgent = "OpenAI/2.15.0  (.NET 10.0; Linux)";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(harness.Table.Primary.BaseUri, "openai/v1/chat/completions"))
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        request.Headers.TryAddWithoutValidation("x-ms-client-request-id", "3f2a");
        request.Headers.TryAddWithoutValidation("api-key", "caller-key");
        using var response = await harness.Client.SendAsync(request);

        Assert.Equal([("east", UserAgent, "3f2a", false), ("west", UserAgent, "3f2a", false)], seen);
    }

    [Fact]
    public async Task SendAsync_CallerCancelsWhileWaitingForCooldown_StopsAtOnce()
    {
        using var harness = new FailoverHarness();
        foreach (var name in new[] { "east", "west", "north" })
        {
            harness.Network.Answer(name, () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "30000")));
        }

        using var cancel = new CancellationTokenSource();
        var call = harness.SendAsync(cancellationToken: cancel.Token);
        await ReachedAsync(harness, "north", 1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        Assert.Equal(3, harness.Network.Sent.Count);
    }

    [Fact]
    public async Task SendAsync_GatewayEndpointWithPathPrefix_KeepsItsPrefixAndItsDeploymentName()
    {
        using var harness = new FailoverHarness(o =>
        {
            o.Endpoints[1].Uri = new Uri("https://contoso-apim.azure-api.net/aoai/");
            o.Endpoints[1].Deployments["chat"] = "gpt-4o-mini-gw";
            o.Network.HostOverrides["contoso-apim.azure-api.net"] = "10.0.0.9";
        });
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));

        using var v1 = await harness.SendAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        using var classic = await harness.SendAsync("openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21");

        var atGateway = harness.Network.Sent.Where(u => u.Host == "contoso-apim.azure-api.net").Select(u => u.PathAndQuery).ToArray();
        Assert.Equal(["/aoai/openai/v1/chat/completions", "/aoai/openai/deployments/gpt-4o-mini-gw/chat/completions?api-version=2024-10-21"], atGateway);
    }
}
