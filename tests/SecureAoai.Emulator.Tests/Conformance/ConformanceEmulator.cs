using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>
/// An emulator set up like the resources the recordings were made against (the same deployment
/// names, model versions and quota), to which a recorded request can be sent as it was recorded.
/// </summary>
internal sealed class ConformanceEmulator : IAsyncDisposable
{
    /// <summary>The client request id sent where the recorded request had one (recordings sanitize theirs).</summary>
    public const string ClientRequestId = "0b5c8c1e-6c1b-4b8e-9a43-6f0f1d1c2a77";

    private ConformanceEmulator(EmulatorServer server)
    {
        Server = server;
        Http = TestTrust.CreateHttpClient(server.CaCertificate);
    }

    public EmulatorServer Server { get; }

    public EmulatorInstance Instance => Server.Instances[0];

    public HttpClient Http { get; }

    public static async Task<ConformanceEmulator> StartAsync(Action<EmulatorInstanceOptions>? configure = null)
    {
        var instance = new EmulatorInstanceOptions { Name = "eastus", KeyAuthEnabled = true };
        instance.Deployments.Clear();
        instance.Deployments["gpt-4o-0806"] = new EmulatorDeployment { Model = "gpt-4o-2024-08-06" };
        instance.Deployments["gpt-4o-mini-async-block-banana"] = new EmulatorDeployment { Model = "gpt-4o-mini-2024-07-18" };
        instance.Deployments["text-embedding-ada-002"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Embedding, Model = "ada" };
        instance.Deployments["text-embedding-3-small"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Embedding, Model = "text-embedding-3-small" };
        // The 2025 recording's deployment reported its quota (x-ratelimit-limit-*): the same here.
        instance.RateLimits["gpt-4o-mini-async-block-banana"] = new EmulatorRateLimit { RequestsPerMinute = 1200, TokensPerMinute = 120_000 };
        configure?.Invoke(instance);
        var options = new EmulatorOptions();
        options.Instances.Add(instance);
        return new ConformanceEmulator(await EmulatorServer.StartAsync(options));
    }

    /// <summary>
    /// Sends the recorded request (method, path, query, body) with a credential of the recorded
    /// kind: the instance's key, an Entra token, or, where the service refused the key, the recorded
    /// (sanitized, so wrong) key.
    /// </summary>
    public Task<HttpResponseMessage> SendRecordedAsync(RecordedEntry entry, string? body = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(entry.RequestMethod), new Uri(Instance.Endpoint, entry.RequestUri.PathAndQuery))
        {
            Content = new StringContent(body ?? entry.RequestBody?.GetRawText() ?? "{}", Encoding.UTF8, "application/json"),
        };
        if (entry.UsedBearerToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Server.CreateAccessToken(EmulatorOptions.DefaultClientId));
        }
        else
        {
            request.Headers.Add("api-key", entry.StatusCode == 401 ? "Sanitized" : Instance.ApiKey);
        }

        if (entry.RequestHeaders.ContainsKey("x-ms-client-request-id"))
        {
            request.Headers.Add("x-ms-client-request-id", ClientRequestId);
        }

        return Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>Every header name of a response, its content headers included.</summary>
    public static IEnumerable<string> HeaderNames(HttpResponseMessage response) =>
        response.Headers.Select(h => h.Key).Concat(response.Content.Headers.Select(h => h.Key));

    /// <summary>The payload of each event of a server-sent event body, <see langword="null"/> for <c>[DONE]</c>.</summary>
    public static async Task<IReadOnlyList<JsonElement?>> ReadEventsAsync(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        return [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(RecordedEntry.Payload)];
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
