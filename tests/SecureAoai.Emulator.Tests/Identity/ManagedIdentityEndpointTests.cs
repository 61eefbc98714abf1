using System.Net;
using System.Text.Json;

namespace SecureAoai.Emulator.Tests.Identity;

public sealed class ManagedIdentityEndpointTests
{
    private static Uri ImdsUri(EmulatorServer server, string query) =>
        new(server.ImdsEndpoint, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://cognitiveservices.azure.com" + query);

    [Fact]
    public async Task ImdsToken_MissingMetadataHeader_Returns400()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(ImdsUri(server, string.Empty));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
        Assert.Equal("Required metadata header not specified", body.GetProperty("error_description").GetString());
        Assert.Equal(0, server.TokensIssued);
    }

    [Fact]
    public async Task ImdsToken_UserAssignedClientId_IssuesTokenThatTheDataPlaneAccepts()
    {
        var options = new EmulatorOptions();
        options.Identities.Add(new EmulatorIdentity { ClientId = EmulatorOptions.DefaultClientId });
        options.Identities.Add(new EmulatorIdentity { ClientId = "44444444-4444-4444-4444-444444444444" });
        await using EmulatorServer server = await EmulatorServer.StartAsync(options);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, ImdsUri(server, "&client_id=44444444-4444-4444-4444-444444444444"));
        request.Headers.Add("Metadata", "true");

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal("44444444-4444-4444-4444-444444444444", body.GetProperty("client_id").GetString());
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal("3600", body.GetProperty("expires_in").GetString());
        Assert.Equal(1, server.TokensIssued);
        using HttpClient tls = TestTrust.CreateHttpClient(server.CaCertificate);
        using HttpResponseMessage chat = await EmulatorRequests.PostAsync(
            tls, server["eastus"].Endpoint, EmulatorRequests.ChatPath, EmulatorRequests.ChatBody, bearer: body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task ImdsToken_UnknownClientId_Returns400IdentityNotFound()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, ImdsUri(server, "&client_id=99999999-9999-9999-9999-999999999999"));
        request.Headers.Add("Metadata", "true");

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Identity not found", (await EmulatorRequests.ReadJsonAsync(response)).GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task AppServiceToken_WrongIdentityHeader_Returns401()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.AppServiceEndpoint + "?api-version=2019-08-01&resource=https://cognitiveservices.azure.com"));
        request.Headers.Add("X-IDENTITY-HEADER", "not-the-secret");

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("X-IDENTITY-HEADER is missing or invalid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, server.TokensIssued);
    }

    [Fact]
    public async Task AppServiceToken_RightIdentityHeader_ReturnsTokenWithExpiresOn()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.AppServiceEndpoint + "?api-version=2019-08-01&resource=https://cognitiveservices.azure.com"));
        request.Headers.Add("X-IDENTITY-HEADER", server.AppServiceIdentityHeader);

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        long expiresOn = long.Parse(body.GetProperty("expires_on").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresOn - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3500, 3601);
        Assert.Equal(EmulatorOptions.DefaultClientId, body.GetProperty("client_id").GetString());
        Assert.Equal(1, server.TokensIssued);
    }
}
