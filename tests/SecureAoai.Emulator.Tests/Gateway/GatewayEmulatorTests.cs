using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;

namespace SecureAoai.Emulator.Tests.Gateway;

/// <summary>The emulated API Management gateway: its own refusals, the backend pool, the breaker, its own identity to the backends.</summary>
public sealed class GatewayEmulatorTests
{
    private const string GatewayAudience = "api://contoso-aoai-gateway";

    private static async Task<EmulatorServer> StartAsync(Action<EmulatorGatewayOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new EmulatorOptions { TimeProvider = time ?? TimeProvider.System };
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus" });
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus2" });
        var gateway = new EmulatorGatewayOptions { Name = "apim", PathPrefix = "/aoai" };
        configure?.Invoke(gateway);
        options.Gateways.Add(gateway);
        return await EmulatorServer.StartAsync(options);
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient http, EmulatorGateway gateway, string? key = "use-the-gateway's", string? bearer = null, string path = EmulatorRequests.ChatPath)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Endpoint, path)) { Content = JsonContent.Create(EmulatorRequests.ChatBody) };
        if (key is not null)
        {
            request.Headers.Add(gateway.SubscriptionKeyHeader, key == "use-the-gateway's" ? gateway.SubscriptionKey : key);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return http.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "(absent)";

    [Fact]
    public async Task Request_WithoutSubscriptionKey_401WithApiManagementsBodyAndChallenge()
    {
        await using var server = await StartAsync();
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);
        var gateway = server.Gateway("apim");

        using var response = await ChatAsync(http, gateway, key: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var (code, message) = await EmulatorRequests.ReadErrorAsync(response);
        Assert.Null(code);
        Assert.Equal("Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.", message);
        Assert.Equal($"AzureApiManagementKey realm=\"https://localhost:{gateway.Port}/aoai\",name=\"Ocp-Apim-Subscription-Key\",type=\"header\"", Header(response, "WWW-Authenticate"));
        Assert.Equal(0, server.Instances.Sum(i => i.RequestCount));
    }

    [Fact]
    public async Task Request_WrongSubscriptionKey_401InvalidKey()
    {
        await using var server = await StartAsync();
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);

        using var response = await ChatAsync(http, server.Gateway("apim"), key: "not-the-key");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.", (await EmulatorRequests.ReadErrorAsync(response)).Message);
        Assert.Equal(0, server.Instances.Sum(i => i.RequestCount));
    }

    [Theory]
    [InlineData(EmulatorRequests.ChatPath)]
    [InlineData("openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21")]
    public async Task Request_WithKey_ReachesABackendUnderThePrefixWithTheGatewaysOwnIdentity(string path)
    {
        // The instances accept Entra tokens only (key auth disabled, the default): the caller's key
        // cannot be what they accept; the gateway's managed identity is.
        await using var server = await StartAsync();
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);

        using var response = await ChatAsync(http, server.Gateway("apim"), path: path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Echo from eastus", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, server.Instances.Sum(i => i.RequestCount));
    }

    [Fact]
    public async Task Request_TokenForTheGatewaysAudience_Passes_TokenForAzureOpenAI_Refused()
    {
        await using var server = await StartAsync(g =>
        {
            g.SubscriptionRequired = false;
            g.Audience = GatewayAudience;
        });
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);
        var gateway = server.Gateway("apim");

        using var passes = await ChatAsync(http, gateway, key: null, bearer: server.CreateAccessToken(EmulatorOptions.DefaultClientId, GatewayAudience));
        using var refused = await ChatAsync(http, gateway, key: null, bearer: server.CreateAccessToken(EmulatorOptions.DefaultClientId));
        using var none = await ChatAsync(http, gateway, key: null);

        Assert.Equal(HttpStatusCode.OK, passes.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Unauthorized. Access token is missing or invalid.", (await EmulatorRequests.ReadErrorAsync(refused)).Message);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(1, server.Instances.Sum(i => i.RequestCount));
    }

    [Fact]
    public async Task Requests_TwoBackends_TakeTurns()
    {
        await using var server = await StartAsync();
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);

        for (var i = 0; i < 4; i++)
        {
            using var response = await ChatAsync(http, server.Gateway("apim"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, server["eastus"].RequestCount);
        Assert.Equal(2, server["eastus2"].RequestCount);
    }

    [Fact]
    public async Task Request_BackendThrottled_ItsCircuitOpensForItsRetryAfterAndTheOtherServes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(time: time);
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);
        var gateway = server.Gateway("apim");
        server["eastus"].Throttle(TimeSpan.FromSeconds(30));

        using var first = await ChatAsync(http, gateway);
        using var second = await ChatAsync(http, gateway);

        // eastus answered 429 once; the request went on to eastus2, and the next one did not try eastus.
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, server["eastus"].RequestCount);
        Assert.Equal(2, server["eastus2"].RequestCount);
        Assert.True(gateway.IsCircuitOpen("eastus"));

        server["eastus"].ClearFaults();
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(gateway.IsCircuitOpen("eastus"));
    }

    [Fact]
    public async Task Request_EveryBackendThrottled_429WithRetryAfterThen503WithoutCallingThem()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(time: time);
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);
        var gateway = server.Gateway("apim");
        server["eastus"].Throttle(TimeSpan.FromSeconds(20));
        server["eastus2"].Throttle(TimeSpan.FromSeconds(40));

        using var throttled = await ChatAsync(http, gateway);
        time.Advance(TimeSpan.FromSeconds(5));
        using var unavailable = await ChatAsync(http, gateway);

        // The request met both backends' 429s: the last one goes back with its Retry-After.
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotEqual("(absent)", Header(throttled, "Retry-After"));
        Assert.Equal("429", (await EmulatorRequests.ReadErrorAsync(throttled)).Code);

        // Every circuit is open now: API Management answers 503 itself, until the first one closes (15 s more).
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal("15", Header(unavailable, "Retry-After"));
        Assert.Null((await EmulatorRequests.ReadErrorAsync(unavailable)).Code);
        Assert.Equal(2, server.Instances.Sum(i => i.RequestCount));
    }

    [Fact]
    public async Task Request_OutsideTheApisPrefix_404()
    {
        await using var server = await StartAsync();
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);
        var gateway = server.Gateway("apim");

        using var response = await EmulatorRequests.PostAsync(http, new Uri($"https://localhost:{gateway.Port}/"), EmulatorRequests.ChatPath, EmulatorRequests.ChatBody);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, server.Instances.Sum(i => i.RequestCount));
    }

    [Fact]
    public async Task Request_GatewayIdentityWithoutRole_BackendsPermissionDeniedPassesThrough()
    {
        await using var server = await StartAsync(g => g.ManagedIdentity = new EmulatorIdentity { ClientId = "gateway-without-role", HasOpenAIUserRole = false });
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);

        using var response = await ChatAsync(http, server.Gateway("apim"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("PermissionDenied", (await EmulatorRequests.ReadErrorAsync(response)).Code);
    }

    [Fact]
    public async Task Request_Streamed_EventsPassThroughToDone()
    {
        await using var server = await StartAsync();
        using var http = TestTrust.CreateHttpClient(server.CaCertificate);
        var gateway = server.Gateway("apim");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Endpoint, EmulatorRequests.ChatPath))
        {
            Content = JsonContent.Create(new { model = "gpt-4o-mini", stream = true, messages = new[] { new { role = "user", content = "stream through the gateway" } } }),
        };
        request.Headers.Add(gateway.SubscriptionKeyHeader, gateway.SubscriptionKey);

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"content\":\"gateway\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_BackendThatIsNoInstance_RefusedNamingIt()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(g => g.Backends.Add("westus")));

        Assert.Contains("Gateway 'apim' lists backend 'westus', which is not an instance", error.Message, StringComparison.Ordinal);
    }
}
