using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly.Telemetry;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Failover;

/// <summary>
/// The failover chain as the SDK builds it (endpoint table, guards with per-endpoint resolvers and
/// policies, Microsoft.Extensions.Http.Resilience pipelines, our routing), on a fake clock, above a
/// scripted network in place of the sockets. Endpoint names carry a prefix unique to the test, so
/// metrics and activities of tests running at the same time can be told apart.
/// </summary>
internal sealed class FailoverHarness : IDisposable
{
    public const string Deployment = "gpt-4o-mini";

    public FailoverHarness(Action<SecureOpenAIOptions>? configure = null, params string[] names)
    {
        names = names.Length == 0 ? ["east", "west", "north"] : names;
        Prefix = $"t{Guid.NewGuid():N}"[..10] + "-";
        Options.Deployments["chat"] = new SecureOpenAIDeployment { Name = Deployment };
        for (var i = 0; i < names.Length; i++)
        {
            Options.Endpoints.Add(new SecureOpenAIEndpoint { Name = Prefix + names[i], Uri = new Uri($"https://{names[i]}.openai.azure.com/"), Priority = i + 1 });
            Options.Network.HostOverrides[$"{names[i]}.openai.azure.com"] = $"10.0.0.{i + 1}";
        }

        Credential = new ScopeRecordingCredential(Time);
        Options.Credential.TokenCredential = Credential;
        configure?.Invoke(Options);
        var telemetry = new TelemetryOptions { LoggerFactory = NullLoggerFactory.Instance };
        var authentication = EndpointAuthentication.Create(Options, EndpointTrust.SystemOnly, isDevelopment: false, NullLogger.Instance, Time);
        Table = EndpointTable.Create(Options, authentication, Time, NullLogger.Instance, telemetry);
        var handler = SecureOpenAITransport.CreateFailoverHandler(Table, Options, RateLimits, Time, NullLogger.Instance, telemetry, new GuardHandler(Table, Network));
        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-11-23T10:00:00Z"));

    public SecureOpenAIOptions Options { get; } = new() { MaxRetryAfter = TimeSpan.FromSeconds(60) };

    public SecureOpenAIRateLimits RateLimits { get; } = new();

    /// <summary>The app's credential: hands out a token per scope and counts the calls.</summary>
    public ScopeRecordingCredential Credential { get; }

    public ScriptedNetwork Network { get; } = new();

    public EndpointTable Table { get; }

    public HttpClient Client { get; }

    public string Prefix { get; }

    public FailoverEndpoint this[string name] => Table.Endpoints.Single(e => e.Name == Prefix + name);

    /// <summary>A chat completion request, addressed (as the OpenAI client does) to the primary endpoint.</summary>
    public Task<HttpResponseMessage> SendAsync(string path = "openai/v1/chat/completions", CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Table.Primary.BaseUri, path))
        {
            Content = new StringContent($$"""{"model":"{{Deployment}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        return Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public void Dispose()
    {
        Client.Dispose();
        Table.Dispose();
    }
}

/// <summary>The network below the guard: answers each host by its script (200 by default) and records what was sent.</summary>
internal sealed class ScriptedNetwork : HttpMessageHandler
{
    public ConcurrentDictionary<string, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentQueue<Uri> Sent { get; } = new();

    /// <summary>Each request that reached the network, with its headers as sent (one value per name, joined).</summary>
    public ConcurrentQueue<SentRequest> Received { get; } = new();

    /// <summary>Completes each time a request reaches the network, with its URI.</summary>
    public event Action<Uri>? Reached;

    public int CountFor(string name) => Sent.Count(u => u.Host.StartsWith(name + ".", StringComparison.OrdinalIgnoreCase));

    public void Answer(string name, Func<HttpResponseMessage> response) =>
        Hosts[$"{name}.openai.azure.com"] = (_, _) => Task.FromResult(response());

    public static HttpResponseMessage Status(HttpStatusCode status, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent("""{"error":{"code":"x","message":"scripted"}}""", Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sent.Enqueue(request.RequestUri!);
        // Read as they are, unparsed: parsing here would rewrite them for the scripts after it.
        Received.Enqueue(new SentRequest(request.RequestUri!, request.Headers.NonValidated.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase)));
        Reached?.Invoke(request.RequestUri!);
        if (Hosts.TryGetValue(request.RequestUri!.Host, out var script))
        {
            return script(request, cancellationToken);
        }

        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent($$"""{"region":"{{request.RequestUri.Host}}"}""", Encoding.UTF8, "application/json"),
        });
    }
}

/// <summary>One request as the network saw it.</summary>
internal sealed record SentRequest(Uri Uri, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
