using System.Security.Authentication;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay;

/// <summary>
/// The identity's two ends of the end-to-end handshake over a stream a router relays: the dialer's,
/// which accepts only a binder that proves a bind grant for the service, and the binder's, which
/// accepts only the caller named by a valid dial grant. Neither believes the router about who is at
/// the other end. Both ends take their ephemeral keys from <paramref name="keys"/> (each key used by
/// one handshake only).
/// </summary>
internal sealed class StreamSealer(OverlayIdentity identity, GrantVerifier grants, ILogger logger, EphemeralKeyPool keys)
{
    /// <summary>The dialer's end: seals <paramref name="stream"/> with its binder, or aborts it.</summary>
    /// <exception cref="OverlayDialException">The binder is not entitled to bind the service (<see cref="OverlayDialFailure.BinderNotEntitled"/>), or the handshake failed (<see cref="OverlayDialFailure.Refused"/>).</exception>
    public async Task<OverlayStream> SealDialAsync(MuxStream stream, string service, string routerAddress, CancellationToken cancellationToken)
    {
        try
        {
            // The far end must prove, without the router's word, that it is an identity the controller
            // lets bind this service: a bind grant for exactly the certificate whose key it signs with.
            OverlayGrant? binder = null;
            var sealedStream = await E2eHandshake.RunAsync(
                stream, isDialer: true, identity.Certificate, identity.CaCertificate, service, ReadOnlyMemory<byte>.Empty,
                (peer, grant) => binder = grants.VerifyPeer(peer, grant.Span, GrantKind.Bind, service),
                cancellationToken,
                keys).ConfigureAwait(false);
            return new SealedOverlayStream(sealedStream, service, new OverlayCaller(binder!.IdentityName, binder.Roles), stream, routerAddress);
        }
        catch (AuthenticationException ex)
        {
            stream.Abort("the binder is not entitled to bind the service");
            throw new OverlayDialException(service, OverlayDialFailure.BinderNotEntitled, $"Dial of '{service}' as '{identity.Name}' refused: the far end is not an identity entitled to bind '{service}'. {ex.Message} The router at {routerAddress} may be compromised or misconfigured; nothing was sent.", ex);
        }
        catch (Exception ex) when (ex is IOException or CryptographicException)
        {
            stream.Abort("end-to-end handshake failed");
            throw new OverlayDialException(service, OverlayDialFailure.Refused, $"Dial of '{service}' failed: the end-to-end handshake with the binder failed ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// Who calls, with which roles: the dial's controller-signed dial grant (signer, signature, kind,
    /// service, validity), never the router's word. <see langword="null"/>, with the dial refused, when
    /// it carries no valid one.
    /// </summary>
    public async Task<OverlayGrant?> CheckDialGrantAsync(string service, MuxIncomingStream incoming)
    {
        try
        {
            return grants.Verify(RouterRequest.TryParse(incoming.Metadata.Span)?.Grant, GrantKind.Dial, service);
        }
        catch (AuthenticationException ex)
        {
            OverlayLog.DialGrantRefused(logger, service, ex.Message);
            await incoming.RejectAsync(ReasonCode.Refused, "refused: the dial carries no valid dial grant").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// The binder's end, for one dial through <paramref name="routerAddress"/> whose grant named <paramref name="caller"/>, showing
    /// <paramref name="bindGrant"/>; <see langword="null"/> when it fails (the dial alone is dropped).
    /// </summary>
    public async Task<OverlayStream?> SealAcceptedAsync(string service, string routerAddress, ReadOnlyMemory<byte> bindGrant, MuxIncomingStream incoming, OverlayGrant caller, CancellationToken cancellationToken)
    {
        // The handshake proves the caller holds the key of the certificate its grant names.
        var stream = await incoming.AcceptAsync().ConfigureAwait(false);
        try
        {
            var sealedStream = await E2eHandshake.RunAsync(
                stream, isDialer: false, identity.Certificate, identity.CaCertificate, service, bindGrant,
                (peer, _) => GrantVerifier.VerifyHolder(peer, caller),
                cancellationToken,
                keys).ConfigureAwait(false);
            return new SealedOverlayStream(sealedStream, service, new OverlayCaller(caller.IdentityName, caller.Roles), stream, routerAddress);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong (a vanished caller, a bad proof, the handshake's own timeout), this
            // dial alone is dropped; the listener goes on.
            OverlayLog.HandshakeFailed(logger, service, caller.IdentityName, ex.Message);
            stream.Abort("end-to-end handshake failed");
            return null;
        }
    }
}
