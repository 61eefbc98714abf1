using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureAoai.Client.Tests.Networking;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 answering every request with 200 "ok", keeping
/// connections alive; counts the connections it accepted and those closed by the client.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private const int MaxRequestBytes = 16 * 1024;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _accepted;
    private int _closedByClient;

    public LoopbackHttpServer()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    public int ClosedByClient => Volatile.Read(ref _closedByClient);

    /// <summary>Completes when the client closes a connection.</summary>
    public TaskCompletionSource ClientClosed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
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

            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[MaxRequestBytes];
        var filled = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                if (read == 0)
                {
                    Interlocked.Increment(ref _closedByClient);
                    ClientClosed.TrySetResult();
                    return;
                }

                filled += read;
                var text = Encoding.ASCII.GetString(buffer, 0, filled);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0)
                {
                    if (filled == buffer.Length)
                    {
                        return;
                    }

                    continue;
                }

                filled = 0;
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _closedByClient);
            ClientClosed.TrySetResult();
        }
    }
}
