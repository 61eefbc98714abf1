using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SecureAoai.Emulator.Internal;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>
/// Plays recorded Azure OpenAI answers back over loopback HTTPS, with a test CA the client trusts
/// explicitly. Each request, whatever its path, gets the next recorded entry's status, headers and
/// body; an event-stream body is written event by event, each flushed, as the service streams it.
/// It checks nothing the recording cannot know (credentials are sanitized in recordings) but keeps
/// every request it received, so a test can see what the client sent.
/// </summary>
internal sealed class ReplayServer : IAsyncDisposable
{
    /// <summary>Answered once the recorded entries are used up, so an unexpected extra request fails the test visibly.</summary>
    public const int ExhaustedStatus = StatusCodes.Status418ImATeapot;

    // Framing headers describe the recorded wire body (the stored body is re-indented), and Kestrel
    // writes its own; every other header is replayed as recorded.
    private static readonly HashSet<string> FramingHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date",
    };

    private readonly TestCertificateAuthority _ca;
    private readonly X509Certificate2 _certificate;
    private readonly WebApplication _app;
    private readonly IReadOnlyList<RecordedEntry> _entries;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private int _next = -1;

    private ReplayServer(TestCertificateAuthority ca, X509Certificate2 certificate, IReadOnlyList<RecordedEntry> entries)
    {
        _ca = ca;
        _certificate = certificate;
        _entries = entries;
        _app = KestrelHost.Create(0, certificate, "replay", requestLog: null);
        _app.Run(ServeAsync);
    }

    /// <summary>The resource root, <c>https://localhost:PORT/</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The PEM file of the CA that issued the server certificate.</summary>
    public string CaCertificatePath => _ca.CertificatePath;

    /// <summary>The requests received so far, in order.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public static async Task<ReplayServer> StartAsync(IReadOnlyList<RecordedEntry> entries)
    {
        var ca = TestCertificateAuthority.LoadOrCreate(directory: null);
        var server = new ReplayServer(ca, ca.IssueServerCertificate([]), entries);
        try
        {
            int port = await KestrelHost.StartAsync(server._app, CancellationToken.None);
            server.Endpoint = new Uri($"https://localhost:{port}/");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _certificate.Dispose();
        _ca.Dispose();
    }

    private async Task ServeAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        _requests.Enqueue(new ReceivedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? string.Empty,
            context.Request.QueryString.Value ?? string.Empty,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray()));

        int index = Interlocked.Increment(ref _next);
        if (index >= _entries.Count)
        {
            context.Response.StatusCode = ExhaustedStatus;
            await context.Response.WriteAsync($"The replay server has {_entries.Count} recorded answer(s); request {index + 1} was not recorded.", context.RequestAborted);
            return;
        }

        RecordedEntry entry = _entries[index];
        context.Response.StatusCode = entry.StatusCode;
        foreach ((string name, string value) in entry.ResponseHeaders)
        {
            if (!FramingHeaders.Contains(name))
            {
                context.Response.Headers[name] = value;
            }
        }

        if (entry.IsEventStream)
        {
            foreach (string sseEvent in entry.Events)
            {
                await context.Response.WriteAsync(sseEvent, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            return;
        }

        byte[] bytes = entry.ResponseBodyBytes();
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}

/// <summary>A request as the replay server received it: the path unescaped, the query as sent (with its <c>?</c>).</summary>
internal sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The body parsed as JSON.</summary>
    public JsonElement Json()
    {
        using JsonDocument document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }
}
