using System.Net;
using System.Text;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Tests.Failover;
using static SecureAoai.Client.Tests.Failover.ScriptedNetwork;

namespace SecureAoai.Client.Tests.Gateways;

/// <summary>
/// Each attempt carries the credential of the endpoint failover chose for it: a token of that
/// endpoint's own scope, or its key in its header; nothing the caller put in a credential header.
/// </summary>
public sealed class GatewayAuthenticationTests
{
    private const string GatewayScope = "api://contoso-aoai-gateway/.default";
    private const string DefaultScope = SecureOpenAICredentialOptions.DefaultScope;
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>East is Azure OpenAI (the default scope); west is a gateway with its own audience.</summary>
    private static FailoverHarness TwoAudiences() => new(o => o.Endpoints[1].Scope = GatewayScope, "east", "west");

    private static SentRequest[] At(FailoverHarness harness, string name) =>
        [.. harness.Network.Received.Where(r => r.Uri.Host.StartsWith(name + ".", StringComparison.Ordinal))];

    [Fact]
    public async Task SendAsync_FailoverToEndpointOfAnotherScope_EachEndpointGetsOnlyATokenOfItsOwnScope()
    {
        using var harness = TwoAudiences();
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));

        using var response = await harness.SendAsync().WaitAsync(Guard);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"Bearer {DefaultScope}#1", Assert.Single(At(harness, "east")).Header("Authorization"));
        Assert.Equal($"Bearer {GatewayScope}#1", Assert.Single(At(harness, "west")).Header("Authorization"));
    }

    [Fact]
    public async Task SendAsync_ManyRequestsToBothEndpoints_OneTokenPerScope()
    {
        using var harness = TwoAudiences();
        for (var i = 0; i < 3; i++)
        {
            using var toEast = await harness.SendAsync().WaitAsync(Guard);
        }

        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));
        for (var i = 0; i < 3; i++)
        {
            using var toWest = await harness.SendAsync().WaitAsync(Guard);
            harness.Time.Advance(TimeSpan.FromMinutes(2)); // past east's cooldown, so each request tries east first
        }

        Assert.Equal(1, harness.Credential.CallsFor(DefaultScope));
        Assert.Equal(1, harness.Credential.CallsFor(GatewayScope));
        Assert.All(At(harness, "west"), r => Assert.Equal($"Bearer {GatewayScope}#1", r.Header("Authorization")));
    }

    [Fact]
    public async Task SendAsync_GatewayRefusesToken_RefreshesOnlyItsScopeOnceAndSendsAgainToTheSameGateway()
    {
        using var harness = TwoAudiences();
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));
        var westAnswers = 0;
        harness.Network.Answer("west", () => Interlocked.Increment(ref westAnswers) == 1 ? Bare(401, "Unauthorized. Access token is missing or invalid.") : Status(HttpStatusCode.OK));

        using var response = await harness.SendAsync().WaitAsync(Guard);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([$"Bearer {GatewayScope}#1", $"Bearer {GatewayScope}#2"], At(harness, "west").Select(r => r.Header("Authorization")));
        Assert.Equal(1, harness.Credential.CallsFor(DefaultScope));
        Assert.Single(At(harness, "east"));
    }

    [Fact]
    public async Task SendAsync_TokenStillRefusedAfterRefresh_AnswerReachesCallerWithoutAThirdSend()
    {
        using var harness = TwoAudiences();
        harness.Network.Answer("east", () => Bare(401, "Unauthorized. Access token is missing or invalid."));

        using var response = await harness.SendAsync().WaitAsync(Guard);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("missing or invalid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, At(harness, "east").Length);
        Assert.Empty(At(harness, "west"));
    }

    [Fact]
    public async Task SendAsync_PermissionDenied_NotRefreshedNotSentAgain()
    {
        using var harness = TwoAudiences();
        harness.Network.Answer("east", () => Json(401, """{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}"""));

        using var response = await harness.SendAsync().WaitAsync(Guard);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(At(harness, "east"));
        Assert.Equal(1, harness.Credential.CallsFor(DefaultScope));
    }

    [Fact]
    public async Task SendAsync_GatewayWithSubscriptionKey_GetsItsKeyInItsHeaderAndNoToken()
    {
        using var harness = new FailoverHarness(
            o =>
            {
                o.AllowSubscriptionKey = true;
                o.Endpoints[1].SubscriptionKey = "west-subscription-key";
                o.Endpoints[1].SubscriptionKeyHeader = "api-key";
            },
            "east",
            "west");
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));

        using var response = await harness.SendAsync().WaitAsync(Guard);

        var east = Assert.Single(At(harness, "east"));
        var west = Assert.Single(At(harness, "west"));
        Assert.Equal($"Bearer {DefaultScope}#1", east.Header("Authorization"));
        Assert.Null(east.Header("api-key"));
        Assert.Equal("west-subscription-key", west.Header("api-key"));
        Assert.Null(west.Header("Authorization"));
    }

    [Fact]
    public async Task SendAsync_CallerPutsCredentialsInHeaders_NoneReachesAnEndpoint()
    {
        using var harness = TwoAudiences();
        harness.Network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(harness.Table.Primary.BaseUri, "openai/v1/chat/completions"))
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-token");
        request.Headers.TryAddWithoutValidation("api-key", "caller-key");
        request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", "caller-subscription");

        using var response = await harness.Client.SendAsync(request).WaitAsync(Guard);

        Assert.All(harness.Network.Received, r =>
        {
            Assert.DoesNotContain(r.Headers.Values, v => v.Contains("caller-", StringComparison.Ordinal));
            Assert.StartsWith("Bearer ", r.Header("Authorization"), StringComparison.Ordinal);
        });
        Assert.Equal(2, harness.Network.Received.Count);
    }

    private static HttpResponseMessage Bare(int status, string message) =>
        Json(status, $$"""{ "statusCode": {{status}}, "message": "{{message}}" }""");

    private static HttpResponseMessage Json(int status, string body) =>
        new((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
