using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>The emulator's Entra token endpoint refuses in the identity platform's error shape.</summary>
public sealed partial class EntraConformanceTests
{
    // The identity platform's error, as quoted by the MSAL.NET team in
    // https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/issues/3017
    // (also the shape on https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
    private const string Documented = """
        {"error":"invalid_scope",
         "error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://example.contoso.com/activity.read is not valid.\r\nTrace ID: 255d1aef-8c98-452f-ac51-23d051240864\r\nCorrelation ID: fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7\r\nTimestamp: 2016-01-09 02:02:12Z",
         "error_codes":[70011],
         "timestamp":"2016-01-09 02:02:12Z",
         "trace_id":"255d1aef-8c98-452f-ac51-23d051240864",
         "correlation_id":"fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7",
         "error_uri":"https://login.microsoftonline.com/error?code=70011"}
        """;

    [Fact]
    public async Task Token_UntrustedAssertion_AnswersWithAadstsCodeTraceAndCorrelationIds()
    {
        var options = new EmulatorOptions();
        await using EmulatorServer server = await EmulatorServer.StartAsync(options);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        var impostor = new EmulatorFederation { Subject = "system:serviceaccount:other:intruder", ClientId = options.Federations[0].ClientId };
        string correlationId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.AuthorityHost, $"{server.TenantId}/oauth2/v2.0/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = impostor.ClientId,
                ["scope"] = "https://cognitiveservices.azure.com/.default",
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = server.CreateFederatedToken(impostor),
            }),
        };
        request.Headers.Add("client-request-id", correlationId);

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        using JsonDocument documented = JsonDocument.Parse(Documented);
        new JsonShape().AssertSameShape(documented.RootElement, body, "Entra error");
        Assert.Equal(70021, Assert.Single(body.GetProperty("error_codes").EnumerateArray()).GetInt32());
        Assert.Equal("https://login.microsoftonline.com/error?code=70021", body.GetProperty("error_uri").GetString());
        Assert.Equal(correlationId, body.GetProperty("correlation_id").GetString());
        Match trailer = Trailer().Match(body.GetProperty("error_description").GetString()!);
        Assert.True(trailer.Success, body.GetProperty("error_description").GetString());
        Assert.StartsWith("AADSTS70021: ", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Equal(body.GetProperty("trace_id").GetString(), trailer.Groups["trace"].Value);
        Assert.Equal(correlationId, trailer.Groups["correlation"].Value);
        Assert.Equal(body.GetProperty("timestamp").GetString(), trailer.Groups["timestamp"].Value);
    }

    [GeneratedRegex(@"\r\nTrace ID: (?<trace>[0-9a-f-]{36})\r\nCorrelation ID: (?<correlation>[0-9a-f-]{36})\r\nTimestamp: (?<timestamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)$")]
    private static partial Regex Trailer();
}
