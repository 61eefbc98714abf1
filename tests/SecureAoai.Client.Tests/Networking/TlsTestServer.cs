using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SecureAoai.Client.Tests.Networking;

/// <summary>
/// An HTTPS/1.1 server on 127.0.0.1 with a test certificate that answers every request with one
/// scripted response and closes the connection. It records each request's head, and can hold each
/// TLS handshake until the test releases it.
/// </summary>
internal sealed class TlsTestServer : IAsyncDisposable
{
    private const int MaxHeadBytes = 64 * 1024;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public TlsTestServer(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The response: status line, headers and body. The default value is a 200 chat completion.</summary>
    public string Status { get; set; } = "200 OK";

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "application/json" };

    public string Body { get; set; } =
        """{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    /// <summary>When set, each accepted connection waits for it before the TLS handshake.</summary>
    public TaskCompletionSource? HoldHandshake { get; set; }

    /// <summary>Completes when a connection is accepted.</summary>
    public TaskCompletionSource Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The head (request line and headers) of every request received.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _certificate.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Accepted.TrySetResult();
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            if (HoldHandshake is { } hold)
            {
                await hold.Task.WaitAsync(_stop.Token);
            }

            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            var head = await ReadHeadAsync(tls);
            if (head is null)
            {
                return;
            }

            Requests.Enqueue(head);
            var body = Encoding.UTF8.GetBytes(Body);
            var response = new StringBuilder($"HTTP/1.1 {Status}\r\n");
            foreach (var (name, value) in Headers)
            {
                response.Append(name).Append(": ").Append(value).Append("\r\n");
            }

            response.Append("Content-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n\r\n");
            await tls.WriteAsync(Encoding.ASCII.GetBytes(response.ToString()), _stop.Token);
            await tls.WriteAsync(body, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The client gave up (or refused the certificate): nothing to answer.
        }
    }

    /// <summary>Reads a request's head and its Content-Length body; returns the head.</summary>
    private static async Task<string?> ReadHeadAsync(Stream stream)
    {
        var buffer = new byte[MaxHeadBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                return null;
            }

            filled += read;
            var text = Encoding.ASCII.GetString(buffer, 0, filled);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }

            var head = text[..end];
            var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            var remaining = length - (filled - end - 4);
            while (remaining > 0)
            {
                var more = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, remaining)));
                if (more == 0)
                {
                    return null;
                }

                remaining -= more;
            }

            return head;
        }

        return null;
    }
}
