using System.Net;
using System.Text.Json;

namespace SecureAoai.Emulator.Tests.Identity;

public sealed class EntraTokenEndpointTests
{
    private static Task<HttpResponseMessage> RequestTokenAsync(HttpClient http, EmulatorServer server, string clientId, string assertion) =>
        http.PostAsync(
            new Uri(server.AuthorityHost, $"{server.TenantId}/oauth2/v2.0/token"),
            new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = clientId,
                ["scope"] = "https://cognitiveservices.azure.com/.default",
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = assertion,
            }));

    [Fact]
    public async Task Token_ValidFederatedAssertion_IssuesAccessTokenTheDataPlaneAccepts()
    {
        var options = new EmulatorOptions();
        await using EmulatorServer server = await EmulatorServer.StartAsync(options);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorFederation federation = options.Federations[0];

        using HttpResponseMessage response = await RequestTokenAsync(http, server, federation.ClientId, server.CreateFederatedToken(federation));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal(1, server.TokensIssued);
        using HttpResponseMessage chat = await EmulatorRequests.PostAsync(
            http, server["eastus"].Endpoint, EmulatorRequests.ChatPath, EmulatorRequests.ChatBody, bearer: body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task Token_AssertionWithWrongSubject_Returns400Aadsts70021()
    {
        var options = new EmulatorOptions();
        await using EmulatorServer server = await EmulatorServer.StartAsync(options);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        var impostor = new EmulatorFederation { Subject = "system:serviceaccount:other:intruder", ClientId = options.Federations[0].ClientId };

        using HttpResponseMessage response = await RequestTokenAsync(http, server, impostor.ClientId, server.CreateFederatedToken(impostor));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS70021: No matching federated identity record found", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Contains("Assertion Subject: 'system:serviceaccount:other:intruder'", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, server.TokensIssued);
    }

    [Fact]
    public async Task Token_ExpiredAssertion_Returns400Aadsts700024()
    {
        var options = new EmulatorOptions();
        await using EmulatorServer server = await EmulatorServer.StartAsync(options);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorFederation federation = options.Federations[0];

        using HttpResponseMessage response = await RequestTokenAsync(
            http, server, federation.ClientId, server.CreateFederatedToken(federation, TimeSpan.FromMinutes(-1)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(
            "AADSTS700024: Client assertion is not within its valid time range",
            (await EmulatorRequests.ReadJsonAsync(response)).GetProperty("error_description").GetString(),
            StringComparison.Ordinal);
    }
}
