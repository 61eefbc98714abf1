using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using SecureAoai.Client;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Internal;
using SecureAoai.Emulator;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// <c>pipeline-probe [--requests 2000] [--blocking | --stub [--only TEXT] [--stub-requests 20000]]</c>: a diagnostic, not a benchmark. One chat completion against
/// the emulator through variants of the secured path with layers taken away, each variant's median
/// wall time per request over rounds taken in turns, to find which layer costs what. With
/// <c>SECUREAOAI_BENCH_EMULATOR</c> set (see <see cref="ClientEmulatorRig"/>) it calls that emulator, in another process.
/// </summary>
internal static class PipelineProbe
{
    public const string Command = "pipeline-probe";

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = Arguments.Number(args, "--requests", 2000);
        // The benchmark's own setup: the same emulator, configuration and warm clients.
        var rig = new ClientPipelineBenchmarks();
        rig.Setup();
        try
        {
            return await ProbeAsync(rig, requests, args);
        }
        finally
        {
            rig.Cleanup();
        }
    }

    private static async Task<int> ProbeAsync(ClientPipelineBenchmarks rig, int requests, string[] args)
    {
        var provider = rig.Services;
                List<ChatMessage> messages = [new UserChatMessage("how fast is the pipeline")];

        var secure = provider.GetRequiredService<ChatClient>();
        await secure.CompleteChatAsync(messages);
        var transport = provider.GetRequiredService<SecureOpenAITransport>();
        var settings = provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value;
        var securedToken = (await transport.Authentication.TokenCaches.First().GetTokenAsync(null, null, default)).Token.Token;
        var emulatorToken = rig.RawToken;
        var v1 = new Uri(rig.Rig.Endpoint, "openai/v1/");

        ChatClient Raw(HttpMessageHandler handler, string token) => RawOn(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, token);
        ChatClient RawOn(HttpClient http, string token) => new("gpt-4o-mini", new ApiKeyCredential(token), new OpenAIClientOptions
        {
            Endpoint = v1,
            Transport = new HttpClientPipelineTransport(http),
        });

        var connects = 0;
        var connectsPerVariant = new int[32];
        var wire = new WireCounts();
        var writesPerVariant = new long[32];
        var readsPerVariant = new long[32];

        // Our sockets handler (trust, connect callback), nothing above it; the connection's socket writes
        // and reads are counted (TLS records and segments as the sockets see them).
        SocketsHttpHandler Sockets()
        {
            var sockets = transport.Trust.CreateHandler();
            sockets.ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref connects);
                return new CountingStream(await transport.Endpoints.ConnectAsync(context, token), wire);
            };
            return sockets;
        }

        var process = Process.GetCurrentProcess();
        // The resilience telemetry SecureOpenAITransport configures.
        var telemetry = new Polly.Telemetry.TelemetryOptions
        {
            LoggerFactory = provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            ResultFormatter = (_, result) => result is HttpResponseMessage response ? (int)response.StatusCode : result,
        };
        var time = TimeProvider.System;
        var selector = new SecureAoai.Client.Failover.Internal.EndpointSelector(transport.Endpoints.Endpoints);
        var logger = NullLogger.Instance;
        var retries = settings.MaxRetries;
        settings.MaxRetries = 0;
        var noHedging = Raw(SecureOpenAITransport.CreateFailoverHandler(transport.Endpoints, settings, new SecureOpenAIRateLimits(), time, logger, null, Sockets()), securedToken);
        settings.MaxRetries = retries;
        HttpMessageHandler NoHedging(HttpMessageHandler inner)
        {
            settings.MaxRetries = 0;
            var handler = SecureOpenAITransport.CreateFailoverHandler(transport.Endpoints, settings, new SecureOpenAIRateLimits(), time, logger, null, inner);
            settings.MaxRetries = retries;
            return handler;
        }

#pragma warning disable EXTEXP0001
        var perEndpoint = Raw(new Microsoft.Extensions.Http.Resilience.ResilienceHandler(request => transport.Endpoints.Find(request.RequestUri!)!.Pipeline) { InnerHandler = Sockets() }, securedToken);
        var emptyPolly = Raw(new Microsoft.Extensions.Http.Resilience.ResilienceHandler(Polly.ResiliencePipeline<HttpResponseMessage>.Empty) { InnerHandler = Sockets() }, securedToken);
#pragma warning restore EXTEXP0001
        var variants = new (string Name, ChatClient Client)[]
        {
            ("FailoverHandler > sockets", Raw(Failover(new Bearer(securedToken, Sockets())), securedToken)),
            ("Failover > Attempt > sockets", Raw(Failover(Attempt(new Bearer(securedToken, Sockets()))), securedToken)),
            ("Failover > Attempt > Auth > sockets", Raw(Failover(Attempt(new SecureAoai.Client.Credentials.Internal.EndpointAuthenticationHandler(transport.Endpoints, logger, Sockets()))), securedToken)),
            ("raw, ResilienceHandler(empty)", emptyPolly),
            ("raw, per-endpoint ResilienceHandler", perEndpoint),
            ("raw on failover chain, no hedging", noHedging),
            ("raw, emulator token", Raw(Sockets(), emulatorToken)),
            // The benchmark's own raw client: a plain SocketsHttpHandler, no connect callback.
            ("raw, plain SocketsHttpHandler", RawOn(rig.RawHttp, emulatorToken)),
            ("raw, secured path's token", Raw(Sockets(), securedToken)),
            ("raw + GuardHandler", Raw(new SecureAoai.Client.Networking.Internal.GuardHandler(transport.Endpoints, Sockets()), securedToken)),
            ("raw on failover chain, no guard", Raw(SecureOpenAITransport.CreateFailoverHandler(transport.Endpoints, settings, new SecureOpenAIRateLimits(), time, logger, null, Sockets()), securedToken)),
            ("raw on failover chain + guard", Raw(SecureOpenAITransport.CreateFailoverHandler(transport.Endpoints, settings, new SecureOpenAIRateLimits(), time, logger, null, new SecureAoai.Client.Networking.Internal.GuardHandler(transport.Endpoints, Sockets())), securedToken)),
            ("raw on the secured HttpClient", RawOn(transport.HttpClient, securedToken)),
            ("AddSecureOpenAI ChatClient", secure),
        };
        foreach (var (_, client) in variants)
        {
            for (var i = 0; i < 50; i++)
            {
                await client.CompleteChatAsync(messages);
            }
        }

        SecureAoai.Client.Failover.Internal.FailoverHandler Failover(HttpMessageHandler inner) => new(transport.Endpoints, selector, settings.Failover, settings.MaxRetries, time, null, inner);
        SecureAoai.Client.Failover.Internal.AttemptHandler Attempt(HttpMessageHandler inner) => new(transport.Endpoints, settings.Failover, settings.MaxRetryAfter, new SecureOpenAIRateLimits(), time, logger, inner);
        if (args.Contains("--stub"))
        {
            var canned = await new HttpClient(Sockets()).SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(v1, "chat/completions"))
            {
                Headers = { Authorization = new("Bearer", securedToken) },
                Content = new StringContent("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", System.Text.Encoding.UTF8, "application/json"),
            });
            var body = await canned.Content.ReadAsByteArrayAsync();
            Console.WriteLine($"canned: {(int)canned.StatusCode} {body.Length} B");
            var stubbed = new (string Name, ChatClient Client)[]
            {
                ("stub: raw", Raw(new Canned(body), securedToken)),
                ("stub: empty ResilienceHandler", Raw(new Microsoft.Extensions.Http.Resilience.ResilienceHandler(Polly.ResiliencePipeline<HttpResponseMessage>.Empty) { InnerHandler = new Canned(body) }, securedToken)),
                ("stub: per-endpoint RH", Raw(new Microsoft.Extensions.Http.Resilience.ResilienceHandler(request => transport.Endpoints.Find(request.RequestUri!)!.Pipeline) { InnerHandler = new Canned(body) }, securedToken)),
                ("stub: Failover > canned", Raw(Failover(new Canned(body)), securedToken)),
                ("stub: Failover > Attempt > canned", Raw(Failover(Attempt(new Canned(body))), securedToken)),
                ("stub: Failover > Attempt > Auth", Raw(Failover(Attempt(new SecureAoai.Client.Credentials.Internal.EndpointAuthenticationHandler(transport.Endpoints, logger, new Canned(body)))), securedToken)),
                ("stub: failover chain, no hedging", Raw(NoHedging(new Canned(body)), securedToken)),
                ("stub: failover chain", Raw(SecureOpenAITransport.CreateFailoverHandler(transport.Endpoints, settings, new SecureOpenAIRateLimits(), time, logger, null, new Canned(body)), securedToken)),
                // As AddSecureOpenAI builds it: resilience telemetry on, the guard below the breaker.
                ("stub: whole chain + telemetry + guard", Raw(SecureOpenAITransport.CreateFailoverHandler(transport.Endpoints, settings, new SecureOpenAIRateLimits(), time, logger, telemetry, new SecureAoai.Client.Networking.Internal.GuardHandler(transport.Endpoints, new Canned(body))), securedToken)),
            };
            // --only TEXT keeps the variants whose name contains it (for a profiler's trace of one);
            // --stub-requests N sets the requests per variant and round (20,000).
            if (Arguments.Text(args, "--only") is { } only)
            {
                stubbed = stubbed.Where(v => v.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToArray();
            }

            var perRound = Arguments.Number(args, "--stub-requests", 20000);
            foreach (var (name, client) in stubbed)
            {
                for (var i = 0; i < 2000; i++)
                {
                    await client.CompleteChatAsync(messages);
                }
            }

            for (var round = 0; round < 2; round++)
            {
                foreach (var (name, client) in stubbed)
                {
                    process.Refresh();
                    var cpuBefore = process.TotalProcessorTime;
                    var start = Stopwatch.GetTimestamp();
                    var allocBefore = GC.GetTotalAllocatedBytes();
                    for (var i = 0; i < perRound; i++)
                    {
                        await client.CompleteChatAsync(messages);
                    }

                    var wall = Stopwatch.GetElapsedTime(start).TotalMicroseconds / perRound;
                    process.Refresh();
                    Console.WriteLine($"{name,-40} wall {wall,6:0.0} us  cpu {(process.TotalProcessorTime - cpuBefore).TotalMicroseconds / perRound,6:0.0} us  alloc {(GC.GetTotalAllocatedBytes() - allocBefore) / perRound / 1024.0,5:0.0} KB/request");
                }
            }

            return 0;
        }

        var blocking = args.Contains("--blocking");
        const int Rounds = 20;
        var samples = variants.Select(_ => new List<double>()).ToArray();
        var cpu = new TimeSpan[variants.Length];
        for (var round = 0; round < Rounds; round++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var connectsBefore = connects;
                var (writesBefore, readsBefore) = (Interlocked.Read(ref wire.Writes), Interlocked.Read(ref wire.Reads));
                for (var i = 0; i < requests / Rounds; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    if (blocking)
                    {
                        // As BenchmarkDotNet calls a Task benchmark: the calling thread blocks on it.
                        variants[v].Client.CompleteChatAsync(messages).GetAwaiter().GetResult();
                    }
                    else
                    {
                        await variants[v].Client.CompleteChatAsync(messages);
                    }

                    samples[v].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }

                process.Refresh();
                cpu[v] += process.TotalProcessorTime - cpuBefore;
                connectsPerVariant[v] += connects - connectsBefore;
                writesPerVariant[v] += Interlocked.Read(ref wire.Writes) - writesBefore;
                readsPerVariant[v] += Interlocked.Read(ref wire.Reads) - readsBefore;
            }
        }

        var baseline = Median(samples[Array.FindIndex(variants, v => v.Name == "raw, emulator token")]);
        for (var v = 0; v < variants.Length; v++)
        {
            var median = Median(samples[v]);
            Console.WriteLine($"{variants[v].Name,-36} p50 {median,8:0.0} us  p90 {Percentile(samples[v], 0.9),8:0.0} us  x{median / baseline:0.00}  cpu {cpu[v].TotalMicroseconds / samples[v].Count,7:0.0} us/request (client + emulator)  connects {connectsPerVariant[v]}  socket writes/reads per request {writesPerVariant[v] / (double)samples[v].Count:0.00}/{readsPerVariant[v] / (double)samples[v].Count:0.00}");
        }

        return 0;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Round(p * (sorted.Length - 1)))];
    }

    private sealed class Canned(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
            });
    }

    private sealed class WireCounts
    {
        public long Writes;
        public long Reads;
    }

    /// <summary>Counts the writes and reads TLS makes on the connection (0 for variants not on <c>Sockets()</c>).</summary>
    private sealed class CountingStream(Stream inner, WireCounts counts) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count)
        {
            Interlocked.Increment(ref counts.Reads);
            return inner.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref counts.Reads);
            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Interlocked.Increment(ref counts.Writes);
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref counts.Writes);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class Bearer(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
