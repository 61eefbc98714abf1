using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using SecureAoai.Client;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Benchmarks;

/// <summary>
/// What the secured path adds to one chat completion apart from the network, which is what
/// ClientPipelineBenchmarks' ratio is made of: the OpenAI client on a stand-in for the sockets that
/// writes the request body out once (as the sockets handler does) and answers with an answer and headers
/// recorded from the emulator. The raw client (a fixed bearer token, the OpenAI pipeline's own retry
/// policy) is the baseline; the secured one is built as AddSecureOpenAI builds it (no authentication
/// policy, the refusal policy, no retry policy; failover, attempt, the Entra token from the cache,
/// the endpoint's breaker and attempt timeout, the network guard with a cached verdict), with the
/// stand-in in place of the sockets handler.
/// </summary>
/// <remarks>
/// Both halves run on one core with nothing to wait for, so BenchmarkDotNet measures them far more
/// tightly than the end-to-end benchmark, whose calls cross two processes' threads on a shared machine.
/// The difference of the two means is the chain's cost per request; over the raw client's end-to-end
/// median it bounds what the chain adds there (benchmarks/results/2026-11-27-client.md).
/// </remarks>
public class ClientChainBenchmarks
{
    private readonly List<ChatMessage> _messages = [new UserChatMessage("how fast is the pipeline")];
    private ClientPipelineBenchmarks _rig = null!;
    private ChatClient _raw = null!;
    private ChatClient _secured = null!;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        // The end-to-end benchmark's setup: the emulator, the secured service provider, its token cached.
        _rig = new ClientPipelineBenchmarks();
        _rig.Setup();
        var endpoint = _rig.Rig.Endpoint;
        var v1 = new Uri(endpoint, "openai/v1/");
        var wire = await RecordedWire.RecordAsync(_rig.RawHttp, new Uri(v1, "chat/completions"), _rig.RawToken);

        _raw = ClientPipelineBenchmarks.RawChatClient(endpoint, _rig.RawToken, new HttpClient(wire));

        var services = _rig.Services;
        var transport = services.GetRequiredService<SecureOpenAITransport>();
        var settings = services.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value;
        var telemetry = new Polly.Telemetry.TelemetryOptions
        {
            LoggerFactory = NullLoggerFactory.Instance,
            ResultFormatter = (_, result) => result is HttpResponseMessage response ? (int)response.StatusCode : result,
        };
        var chain = SecureOpenAITransport.CreateFailoverHandler(
            transport.Endpoints, settings, new SecureOpenAIRateLimits(), TimeProvider.System, NullLogger.Instance, telemetry, new GuardHandler(transport.Endpoints, wire));
        // The client options SecureOpenAIClientFactory gives its clients, on this chain's transport.
        var options = new OpenAIClientOptions { Endpoint = v1 };
        var networkTimeout = settings.NetworkTimeout > settings.Failover.TotalTimeout ? settings.NetworkTimeout : settings.Failover.TotalTimeout;
        new SecureOpenAIPipeline(endpoint, new SecureOpenAIPipelineTransport(new HttpClient(chain) { Timeout = Timeout.InfiniteTimeSpan }), new RefusalPolicy(NullLogger.Instance), networkTimeout)
            .Apply(options);
#pragma warning disable OPENAI001 // The constructor SecureOpenAIClientFactory builds the secured clients with.
        _secured = new ChatClient("gpt-4o-mini", TransportAuthenticationPolicy.Instance, options);
#pragma warning restore OPENAI001

        await _raw.CompleteChatAsync(_messages);
        await _secured.CompleteChatAsync(_messages);
    }

    [GlobalCleanup]
    public void Cleanup() => _rig.Cleanup();

    [Benchmark(Baseline = true, Description = "raw OpenAI client, no network")]
    public Task<ClientResult<ChatCompletion>> Raw() => _raw.CompleteChatAsync(_messages);

    [Benchmark(Description = "AddSecureOpenAI's chain, no network")]
    public Task<ClientResult<ChatCompletion>> Secured() => _secured.CompleteChatAsync(_messages);

    /// <summary>In place of the sockets: writes the request body out once, answers with what the emulator answered.</summary>
    private sealed class RecordedWire(byte[] body, KeyValuePair<string, string[]>[] headers, MediaTypeHeaderValue? contentType) : HttpMessageHandler
    {
        public static async Task<RecordedWire> RecordAsync(HttpClient http, Uri chat, string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, chat)
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
                Content = new StringContent("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"how fast is the pipeline\"}]}", Encoding.UTF8, "application/json"),
            };
            using var answer = await http.SendAsync(request);
            answer.EnsureSuccessStatusCode();
            return new RecordedWire(
                await answer.Content.ReadAsByteArrayAsync(),
                [.. answer.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToArray()))],
                answer.Content.Headers.ContentType);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new ByteArrayContent(body) { Headers = { ContentType = contentType } },
            };
            foreach (var (name, values) in headers)
            {
                response.Headers.TryAddWithoutValidation(name, values);
            }

            return response;
        }
    }
}
