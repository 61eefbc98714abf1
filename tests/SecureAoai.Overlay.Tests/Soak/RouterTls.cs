using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Tests.Soak;

/// <summary>A mutual-TLS connection to a router on loopback as an enrolled identity, made by hand so the caller can send anything over it.</summary>
internal static class RouterTls
{
    /// <summary>Connects to the router at 127.0.0.1:<paramref name="port"/>; a small receive buffer makes a peer that stops reading stop at once.</summary>
    public static async Task<SslStream> ConnectAsync(int port, OverlayIdentity identity, int? receiveBufferBytes = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    ClientCertificates = [identity.Certificate],
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) => OverlayTrust.ChainsTo(certificate, identity.CaCertificate, errors),
                },
                cancellationToken);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }

        return ssl;
    }

    /// <summary>Reads until the router closes the connection (end of stream or a reset); false if it is still open when <paramref name="cancellationToken"/> fires.</summary>
    public static async Task<bool> ClosedByPeerAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            for (var reads = 0; reads < 100_000; reads++)
            {
                if (await stream.ReadAsync(buffer, cancellationToken) == 0)
                {
                    return true;
                }
            }

            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
