using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace SecureAoai.Emulator.Tests.DataPlane;

public sealed class RateLimitTests
{
    private const string Chat = "gpt-4o-mini";

    // "hello from the test" is 4 prompt tokens; "Echo from eastus: hello from the test" is 7 more.
    private const int ChatBodyTokens = 11;

    private static async Task<EmulatorServer> StartAsync(FakeTimeProvider time, TimeSpan window, EmulatorRateLimit? limit)
    {
        var options = new EmulatorOptions { TimeProvider = time };
        var instance = new EmulatorInstanceOptions { Name = "eastus", KeyAuthEnabled = true, RateLimitWindow = window };
        if (limit is not null)
        {
            instance.RateLimits[Chat] = limit;
        }

        options.Instances.Add(instance);
        return await EmulatorServer.StartAsync(options);
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient http, EmulatorInstance instance, object? body = null) =>
        EmulatorRequests.PostAsync(http, instance.Endpoint, EmulatorRequests.ChatPath, body ?? EmulatorRequests.ChatBody, apiKey: instance.ApiKey);

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : "(absent)";

    [Fact]
    public async Task ChatCompletions_OverRequestsPerMinute_Returns429WithWindowRemainder()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer server = await StartAsync(time, TimeSpan.FromSeconds(10), new EmulatorRateLimit { RequestsPerMinute = 2 });
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        using HttpResponseMessage first = await ChatAsync(http, instance);
        time.Advance(TimeSpan.FromSeconds(3));
        using HttpResponseMessage second = await ChatAsync(http, instance);
        time.Advance(TimeSpan.FromSeconds(1.5));
        using HttpResponseMessage refused = await ChatAsync(http, instance);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // The first request leaves the 10 s window 5.5 s from now.
        Assert.Equal("5500", Header(refused, "retry-after-ms"));
        Assert.Equal("5500", Header(refused, "x-ms-retry-after-ms"));
        Assert.Equal("6", Header(refused, "Retry-After"));
        Assert.Equal("5.5s", Header(refused, "x-ratelimit-reset-requests"));
        Assert.Equal("0", Header(refused, "x-ratelimit-remaining-requests"));
        Assert.Equal("2", Header(refused, "x-ratelimit-limit-requests"));
        (string? code, string message) = await EmulatorRequests.ReadErrorAsync(refused);
        Assert.Equal("429", code);
        Assert.StartsWith("Requests to the ChatCompletions_Create Operation under Azure OpenAI API version v1 have exceeded call rate limit", message, StringComparison.Ordinal);
        Assert.Contains("Please retry after 6 seconds.", message, StringComparison.Ordinal);
        Assert.Equal(3, instance.RequestCount);
        Assert.Equal(1, instance.ThrottledCount);
    }

    [Fact]
    public async Task ChatCompletions_AfterRetryAfterElapses_IsAdmittedAgain()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer server = await StartAsync(time, TimeSpan.FromSeconds(10), new EmulatorRateLimit { RequestsPerMinute = 1 });
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        using HttpResponseMessage first = await ChatAsync(http, instance);
        time.Advance(TimeSpan.FromSeconds(4));
        using HttpResponseMessage refused = await ChatAsync(http, instance);
        time.Advance(TimeSpan.FromMilliseconds(long.Parse(Header(refused, "retry-after-ms"), System.Globalization.CultureInfo.InvariantCulture) - 1));
        using HttpResponseMessage stillRefused = await ChatAsync(http, instance);
        time.Advance(TimeSpan.FromMilliseconds(1));
        using HttpResponseMessage admitted = await ChatAsync(http, instance);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("6000", Header(refused, "retry-after-ms"));
        Assert.Equal(HttpStatusCode.TooManyRequests, stillRefused.StatusCode);
        Assert.Equal("1", Header(stillRefused, "retry-after-ms"));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Fact]
    public async Task ChatCompletions_UnderLimit_ReportsLimitAndRemainingHeadersButNoReset()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer server = await StartAsync(time, TimeSpan.FromSeconds(60), new EmulatorRateLimit { RequestsPerMinute = 5, TokensPerMinute = 100 });
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);

        using HttpResponseMessage response = await ChatAsync(http, server["eastus"]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5", Header(response, "x-ratelimit-limit-requests"));
        Assert.Equal("4", Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("100", Header(response, "x-ratelimit-limit-tokens"));
        Assert.Equal((100 - ChatBodyTokens).ToString(System.Globalization.CultureInfo.InvariantCulture), Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal("(absent)", Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal("(absent)", Header(response, "x-ratelimit-reset-tokens"));
        Assert.Equal("(absent)", Header(response, "Retry-After"));
    }

    [Fact]
    public async Task ChatCompletions_DeploymentWithoutLimit_ReportsTheNotionalQuotaUnchanged()
    {
        await using EmulatorServer server = await StartAsync(new FakeTimeProvider(), TimeSpan.FromSeconds(60), limit: null);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);

        using HttpResponseMessage response = await ChatAsync(http, server["eastus"]);

        using HttpResponseMessage again = await ChatAsync(http, server["eastus"]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("10000", Header(again, "x-ratelimit-remaining-requests"));
        Assert.Equal("1000000", Header(again, "x-ratelimit-remaining-tokens"));
        Assert.Equal("(absent)", Header(again, "x-ratelimit-limit-requests"));
    }

    [Fact]
    public async Task ChatCompletions_OverTokensPerMinute_Returns429TokenRateLimit()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer server = await StartAsync(time, TimeSpan.FromSeconds(60), new EmulatorRateLimit { TokensPerMinute = 20 });
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        var capped = new { model = Chat, max_tokens = 2, messages = new[] { new { role = "user", content = "hello from the test" } } };

        using HttpResponseMessage first = await ChatAsync(http, instance);
        time.Advance(TimeSpan.FromSeconds(20));
        using HttpResponseMessage second = await ChatAsync(http, instance, capped);
        using HttpResponseMessage refused = await ChatAsync(http, instance);

        Assert.Equal("9", Header(first, "x-ratelimit-remaining-tokens"));

        // max_tokens replaces the answer's length in the estimate: 4 prompt + 2 tokens.
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("3", Header(second, "x-ratelimit-remaining-tokens"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("3", Header(refused, "x-ratelimit-remaining-tokens"));

        // Freeing the first request's 11 tokens is enough, and it leaves the window in 40 s.
        Assert.Equal("40000", Header(refused, "retry-after-ms"));
        Assert.Equal("40", Header(refused, "Retry-After"));
        Assert.Equal("40s", Header(refused, "x-ratelimit-reset-tokens"));
        (_, string message) = await EmulatorRequests.ReadErrorAsync(refused);
        Assert.Contains("exceeded token rate limit", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetRateLimit_AtRunTime_AppliesToNextRequestsAndNullRemovesIt()
    {
        await using EmulatorServer server = await StartAsync(new FakeTimeProvider(), TimeSpan.FromSeconds(60), limit: null);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        instance.SetRateLimit(Chat, new EmulatorRateLimit { RequestsPerMinute = 1 });
        using HttpResponseMessage admitted = await ChatAsync(http, instance);
        using HttpResponseMessage refused = await ChatAsync(http, instance);
        instance.SetRateLimit(Chat, null);
        using HttpResponseMessage unlimited = await ChatAsync(http, instance);

        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unlimited.StatusCode);
        Assert.Empty(instance.RateLimits);
    }

    [Fact]
    public async Task Embeddings_ChatDeploymentLimited_AreNotCountedAgainstIt()
    {
        await using EmulatorServer server = await StartAsync(new FakeTimeProvider(), TimeSpan.FromSeconds(60), new EmulatorRateLimit { RequestsPerMinute = 1 });
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        using HttpResponseMessage embedding = await EmulatorRequests.PostAsync(
            http, instance.Endpoint, "openai/v1/embeddings", new { model = "text-embedding-3-small", input = "hi" }, apiKey: instance.ApiKey);
        using HttpResponseMessage chat = await ChatAsync(http, instance);

        Assert.Equal(HttpStatusCode.OK, embedding.StatusCode);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task SetRateLimit_LimitBelowOne_Throws()
    {
        await using EmulatorServer server = await StartAsync(new FakeTimeProvider(), TimeSpan.FromSeconds(60), limit: null);

        Assert.Throws<ArgumentOutOfRangeException>(() => server["eastus"].SetRateLimit(Chat, new EmulatorRateLimit { TokensPerMinute = 0 }));
    }

    [Fact]
    public async Task StartAsync_InvalidWindowAndLimit_ThrowsListingBoth()
    {
        var options = new EmulatorOptions();
        var instance = new EmulatorInstanceOptions { RateLimitWindow = TimeSpan.Zero };
        instance.RateLimits[Chat] = new EmulatorRateLimit { RequestsPerMinute = -1 };
        options.Instances.Add(instance);

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => EmulatorServer.StartAsync(options));

        Assert.Contains("RateLimitWindow", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestsPerMinute must be at least 1", error.Message, StringComparison.Ordinal);
    }
}
