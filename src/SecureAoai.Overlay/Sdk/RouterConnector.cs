using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// Opens one connection to a router: TCP, then mutual TLS in which the identity shows its certificate
/// and accepts only an overlay router's server certificate, then the multiplexed session on top.
/// </summary>
internal static class RouterConnector
{
    /// <summary>Connects within <see cref="OverlayContextOptions.ConnectTimeout"/>; the session returned is not yet running.</summary>
    /// <exception cref="OverlayDialException">The party at <paramref name="address"/> is not an overlay router (<see cref="OverlayDialFailure.RouterNotTrusted"/>).</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="AuthenticationException">The TLS handshake failed.</exception>
    /// <exception cref="OperationCanceledException">The timeout passed or a token was cancelled.</exception>
    /// <exception cref="FormatException"><paramref name="address"/> is not <c>HOST:PORT</c>.</exception>
    public static async Task<MuxSession> ConnectAsync(
        string address, OverlayIdentity identity, OverlayContextOptions options, ILogger logger, string service, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var (host, port) = SplitHostPort(address);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? ssl = null;
        string? refused = null;
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    ClientCertificates = [identity.Certificate],
                    EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                    // A router's certificate is a router's server certificate: neither an identity's client
                    // certificate nor the controller's server certificate from the same CA makes a router.
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                        OverlayTrust.ChainsToRouter(certificate, identity.CaCertificate, errors, out refused),
                },
                timeout.Token).ConfigureAwait(false);
        }
        catch (AuthenticationException ex) when (!string.IsNullOrEmpty(refused))
        {
            await ssl!.DisposeAsync().ConfigureAwait(false);
            throw new OverlayDialException(service, OverlayDialFailure.RouterNotTrusted, $"The party at {address} is not an overlay router: {refused}. Check the router address (OverlayContextOptions.RouterAddress, or the controller's list of routers).", ex);
        }
        catch
        {
            if (ssl is not null)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }

        return new MuxSession(ssl, options.Mux, isInitiator: true, logger);
    }

    private static (string Host, int Port) SplitHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"Router address '{address}' is not HOST:PORT.");
        }

        return (address[..colon].Trim('[', ']'), port);
    }
}
