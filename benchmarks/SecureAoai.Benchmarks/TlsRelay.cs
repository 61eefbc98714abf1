using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Benchmarks;

/// <summary>
/// The floor an overlay round trip is measured against: a middle task that terminates the client's
/// TLS, opens its own TLS to an upstream server, and copies bytes both ways, like a router but without
/// multiplexing, policy or end-to-end sealing. It connects upstream before it finishes the client's
/// handshake, so a client's connect returns only once the whole path is ready (as an overlay dial does).
/// </summary>
internal sealed class TlsRelay : IAsyncDisposable
{
    /// <summary>The same copy buffer as the router's relay pump.</summary>
    private const int CopyBufferBytes = 16 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _ca;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepts;

    public TlsRelay(IPEndPoint upstream, X509Certificate2 certificate, X509Certificate2 ca)
    {
        _upstream = upstream;
        _certificate = certificate;
        _ca = ca;
        _listener.Start(512);
        _accepts = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>A TLS client connection to <paramref name="endPoint"/> that trusts <paramref name="ca"/> alone.</summary>
    public static async Task<SslStream> ConnectTlsAsync(IPEndPoint endPoint, X509Certificate2 ca, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, cancellationToken);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => OverlayTrust.ChainsTo(certificate, ca, errors),
            },
            cancellationToken);
        return ssl;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepts;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(socket));
        }
    }

    private async Task RelayAsync(Socket socket)
    {
        socket.NoDelay = true;
        await using var client = new SslStream(new NetworkStream(socket, ownsSocket: true));
        SslStream? upstream = null;
        try
        {
            upstream = await ConnectTlsAsync(_upstream, _ca, _stop.Token);
            await client.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            await Task.WhenAll(CopyAsync(client, upstream), CopyAsync(upstream, client));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // The benchmark ended or one side went away: the relay drops the pair.
        }
        finally
        {
            if (upstream is not null)
            {
                await upstream.DisposeAsync();
            }
        }
    }

    /// <summary>Copies one direction until its end, then passes the end on as a TLS close; a failure closes both sides.</summary>
    private async Task CopyAsync(SslStream source, SslStream destination)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }

            await destination.ShutdownAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            await source.DisposeAsync();
            await destination.DisposeAsync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
