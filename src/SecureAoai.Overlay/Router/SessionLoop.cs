using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// One party's connection to the router, from accept to end: its TLS handshake and admission, then its
/// session's accept loop, which hands each request to the <see cref="BindHandler"/> or the
/// <see cref="DialJoiner"/>. Whatever one party does ends its own session and no other.
/// </summary>
internal sealed class SessionLoop(
    IRouterAuthority authority,
    X509Certificate2 serverCertificate,
    OverlayRouterOptions options,
    RouterSessions sessions,
    BindHandler binds,
    DialJoiner dials,
    ILogger logger)
{
    private readonly SessionAdmission _admission = new(options);

    /// <summary>Serves a connection the router accepted until its session ends; never throws.</summary>
    public async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (await HandshakeAsync(socket, cancellationToken).ConfigureAwait(false) is not { } accepted)
        {
            return;
        }

        var (ssl, caller) = accepted;
        if (!_admission.TryAddSession(caller.Name))
        {
            RouterLog.Refused(logger, caller.Name, $"it already has {options.MaxSessionsPerIdentity} sessions (MaxSessionsPerIdentity)");
            await RefuseAsync(ssl, ReasonCode.Busy, $"identity '{caller.Name}' already has {options.MaxSessionsPerIdentity} sessions on this router, its limit (MaxSessionsPerIdentity)", cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await RunSessionAsync(ssl, caller, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _admission.RemoveSession(caller.Name);
        }
    }

    /// <summary>
    /// The TLS handshake (within HandshakeTimeout, at most MaxConcurrentHandshakes at once) and who the
    /// certificate belongs to; <see langword="null"/>, with the connection closed, when either fails.
    /// </summary>
    private async Task<(SslStream Ssl, RouterCaller Caller)?> HandshakeAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (!_admission.TryStartHandshake())
        {
            // Closed before any TLS work: what an unauthenticated flood can make the router spend stays bounded.
            RouterLog.HandshakeCapReached(logger, options.MaxConcurrentHandshakes);
            socket.Dispose();
            return null;
        }

        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshake.CancelAfter(options.HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = serverCertificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                            OverlayTrust.ChainsTo(certificate, authority.CaCertificate, errors),
                    },
                    handshake.Token).ConfigureAwait(false);
            }
            finally
            {
                _admission.EndHandshake();
            }

            using var certificate = new X509Certificate2(ssl.RemoteCertificate!);
            RouterCaller? caller;
            try
            {
                caller = await authority.AuthenticateAsync(certificate, cancellationToken).ConfigureAwait(false);
            }
            catch (RouterAuthorityUnavailableException unavailable)
            {
                RouterLog.Refused(logger, certificate.Subject, unavailable.Message);
                await RefuseAsync(ssl, ReasonCode.ControllerUnreachable, unavailable.Message, cancellationToken).ConfigureAwait(false);
                return null;
            }

            if (caller is null || !authority.CanUseRouter(caller.Name))
            {
                var why = caller is null ? "unknown or revoked identity, or no router policy admits it" : "no router policy admits it";
                RouterLog.Refused(logger, certificate.Subject, why);
                await RefuseAsync(ssl, ReasonCode.NotAuthorized, $"not authorized: {why}", cancellationToken).ConfigureAwait(false);
                return null;
            }

            return (ssl, caller);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            RouterLog.HandshakeFailed(logger, ex.Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Tells an authenticated party why it may not have a session (a GoAway with a reason code its dials fail with), then closes.</summary>
    private async Task RefuseAsync(SslStream ssl, ReasonCode code, string reason, CancellationToken cancellationToken)
    {
        var mux = new MuxSession(ssl, options.Mux, isInitiator: false, logger);
        mux.Refuse(code, reason);
        await mux.RunAsync(cancellationToken).ConfigureAwait(false);
        await mux.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunSessionAsync(SslStream ssl, RouterCaller caller, CancellationToken cancellationToken)
    {
        var mux = new MuxSession(ssl, options.Mux, isInitiator: false, logger);
        var session = new RouterSession(caller, mux);
        sessions.Add(session);
        RouterLog.Connected(logger, caller.Name);
        try
        {
            var run = mux.RunAsync(cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                MuxIncomingStream? incoming;
                try
                {
                    incoming = await mux.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    break;
                }

                if (incoming is null)
                {
                    break;
                }

                _ = DispatchAsync(session, incoming, cancellationToken);
            }

            await run.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or OverlayProtocolException or ObjectDisposedException)
        {
            // The party went away or broke the protocol: only its own session ends.
            RouterLog.SessionEnded(logger, caller.Name, ex.Message);
        }
        finally
        {
            sessions.Remove(session);
            await mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One request of a session: a bind or a dial, authorized by the grant the controller issues for it.</summary>
    private async Task DispatchAsync(RouterSession session, MuxIncomingStream incoming, CancellationToken cancellationToken)
    {
        try
        {
            var request = RouterRequest.TryParse(incoming.Metadata.Span);
            if (request is null)
            {
                await incoming.RejectAsync(ReasonCode.Refused, "malformed request: expected {\"op\":\"dial\"|\"bind\",\"service\":NAME}").ConfigureAwait(false);
                return;
            }

            // The grant is the authorization: the controller issues one only to an identity that is known,
            // not revoked, and allowed by policy to dial or bind this service, and never for a service
            // that does not exist. So one lookup answers all of it, a missing name gets the same answer
            // as a forbidden one (names cannot be probed), and revocation by another process applies at
            // the next request (the controller re-reads its store when it changed), not at the sweep.
            var caller = session.Caller.Name;
            byte[]? grant;
            try
            {
                grant = request.Op == RouterRequest.Bind
                    ? await authority.IssueBindGrantAsync(session.Caller, request.Service, cancellationToken).ConfigureAwait(false)
                    : await authority.IssueDialGrantAsync(session.Caller, request.Service, cancellationToken).ConfigureAwait(false);
            }
            catch (RouterAuthorityUnavailableException unavailable)
            {
                await incoming.RejectAsync(ReasonCode.ControllerUnreachable, unavailable.Message).ConfigureAwait(false);
                return;
            }

            if (grant is null)
            {
                RouterLog.Denied(logger, caller, request.Op, request.Service);
                await incoming.RejectAsync(ReasonCode.NotAuthorized, $"not authorized: identity '{caller}' may not {request.Op} service '{request.Service}', or there is no such service").ConfigureAwait(false);
                return;
            }

            var running = request.Op == RouterRequest.Bind
                ? binds.RunAsync(session, incoming, request, grant)
                : dials.RunAsync(incoming, request, grant, cancellationToken);

            // A dial's relay lasts as long as its stream: this request's grant (some KiB) is not kept for it.
            request = null;
            grant = null;
            await running.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever failed (the party went away, the store could not be read), this request
            // alone ends; the opener gets a reason instead of waiting forever.
            RouterLog.StreamFailed(logger, session.Caller.Name, ex.Message);
            try
            {
                await incoming.RejectAsync(ReasonCode.Refused, $"router error: {ex.GetType().Name}").ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Already accepted or rejected: the stream itself carries the failure.
            }
        }
    }
}
