using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>
/// Refusals no recording shows, against Azure's bodies as public issue threads quote them verbatim
/// (each source is named at its test and in docs/emulator.md's conformance table).
/// </summary>
public sealed class AuthConformanceTests
{
    private static readonly RecordedEntry Buffered = AzureRecordings.Load("ChatCompletion.json").Entries[0];

    private static void AssertBody(string documented, JsonElement actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(documented), JsonNode.Parse(actual.GetRawText())), $"documented {documented}, got {actual.GetRawText()}");

    public static TheoryData<string> BadTokens() => ["expired", "wrong audience", "another issuer's signature"];

    // Source: FIELD-NOTES "What real Azure traffic shows", from public issue threads quoting the service.
    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BadToken_Returns401WithAzuresBareBody(string problem)
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();
        await using EmulatorServer other = await EmulatorServer.StartAsync(new EmulatorOptions());
        string token = problem switch
        {
            "expired" => emulator.Server.CreateAccessToken(EmulatorOptions.DefaultClientId, lifetime: TimeSpan.FromMinutes(-5)),
            "wrong audience" => emulator.Server.CreateAccessToken(EmulatorOptions.DefaultClientId, audience: "https://management.azure.com"),
            _ => other.CreateAccessToken(EmulatorOptions.DefaultClientId),
        };

        using HttpResponseMessage response = await SendWithTokenAsync(emulator, token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertBody(
            """{"statusCode":401,"message":"Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}""",
            await ConformanceEmulator.ReadJsonAsync(response));
    }

    // Source: https://github.com/Azure-Samples/rag-data-openai-python-promptflow/issues/28
    // ("Error code: 401 - {'error': {'code': 'PermissionDenied', 'message': 'Principal does not have access to API/Operation.'}}").
    [Fact]
    public async Task PrincipalWithoutRole_Returns401PermissionDenied()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await SendWithTokenAsync(emulator, emulator.Server.CreateAccessToken(EmulatorOptions.DefaultClientId, includeRole: false));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertBody("""{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}""", await ConformanceEmulator.ReadJsonAsync(response));
    }

    // Sources: https://github.com/MicrosoftDocs/azure-docs/issues/114602 (404 without api-version) and
    // https://github.com/langchain-ai/langchainjs/issues/5754 (the body and headers of that 404).
    [Fact]
    public async Task DeploymentsUrlWithoutApiVersion_Returns404ResourceNotFound()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.Http.SendAsync(Request(emulator, "openai/deployments/gpt-4o-0806/chat/completions"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertBody("""{"error":{"code":"404","message":"Resource not found"}}""", await ConformanceEmulator.ReadJsonAsync(response));
        HeaderShape.AssertSameNames(
            ["apim-request-id", "content-length", "content-type", "date", "strict-transport-security", "x-content-type-options"],
            ConformanceEmulator.HeaderNames(response),
            [],
            "404 Resource not found");
    }

    // Source: https://github.com/openai/codex/issues/3725 ("unexpected status 400 Bad Request:
    // {"error":{"code":"BadRequest","message":"API version not supported"}}").
    [Fact]
    public async Task UnknownApiVersion_Returns400ApiVersionNotSupported()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.Http.SendAsync(Request(emulator, "openai/deployments/gpt-4o-0806/chat/completions?api-version=2099-01-01"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertBody("""{"error":{"code":"BadRequest","message":"API version not supported"}}""", await ConformanceEmulator.ReadJsonAsync(response));
    }

    private static Task<HttpResponseMessage> SendWithTokenAsync(ConformanceEmulator emulator, string token)
    {
        HttpRequestMessage request = Request(emulator, Buffered.RequestUri.PathAndQuery.TrimStart('/'));
        request.Headers.Remove("api-key");
        request.Headers.Authorization = new("Bearer", token);
        return emulator.Http.SendAsync(request);
    }

    private static HttpRequestMessage Request(ConformanceEmulator emulator, string pathAndQuery)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(emulator.Instance.Endpoint, pathAndQuery))
        {
            Content = new StringContent(Buffered.RequestBody!.Value.GetRawText(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", emulator.Instance.ApiKey);
        return request;
    }
}
