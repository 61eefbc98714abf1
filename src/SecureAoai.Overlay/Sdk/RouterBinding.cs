using System.Security.Authentication;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// A listener's bind at one router: the control stream the router accepted, the controller-signed bind
/// grant the router handed down it (what this binder shows dialers that come through that router), and
/// the renewal that asks for a fresh grant when half of the last one's lifetime has passed. After the
/// router is lost it is detached, and attached again to the control stream of the rebind.
/// </summary>
internal sealed class RouterBinding(OverlayListener listener, OverlayContext context, string routerAddress)
{
    private MuxStream? _control;
    private TaskCompletionSource _nextAttach = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _grant;
    private CancellationTokenSource? _renewal;

    /// <summary>The router's <c>HOST:PORT</c>.</summary>
    public string RouterAddress => routerAddress;

    /// <summary>Whether the router holds this bind now.</summary>
    public bool IsAttached => Volatile.Read(ref _control) is not null;

    /// <summary>The bind grant to show dialers that come through this router, as it last handed it out.</summary>
    public ReadOnlyMemory<byte> Grant => Volatile.Read(ref _grant) ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>
    /// Takes the control stream of a bind the router accepted: reads and checks the first bind grant,
    /// then keeps it fresh in the background until detached or the listener stops.
    /// </summary>
    /// <exception cref="AuthenticationException">The router's grant does not entitle this identity to bind the service.</exception>
    /// <exception cref="IOException">The router closed the bind or sent no grant.</exception>
    public async Task AttachAsync(MuxStream control, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var first = await BindControl.ReadGrantAsync(control, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("the router accepted the bind but closed it without a bind grant");
        var grant = Hold(first);
        Detach();
        var renewal = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Volatile.Write(ref _renewal, renewal);
        Volatile.Write(ref _control, control);
        _ = KeepGrantFreshAsync(control, grant, renewal.Token);
        Interlocked.Exchange(ref _nextAttach, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Completes when the bind is next attached here (for tests of rebinding).</summary>
    public Task NextAttachAsync() => Volatile.Read(ref _nextAttach).Task;

    /// <summary>Forgets the control stream (the router was lost) and stops renewing.</summary>
    public void Detach()
    {
        Volatile.Write(ref _control, null);
        if (Interlocked.Exchange(ref _renewal, null) is { } renewal)
        {
            renewal.Cancel();
            renewal.Dispose();
        }
    }

    /// <summary>Unbinds at the router: closing the control stream is the unbind.</summary>
    public async ValueTask UnbindAsync()
    {
        Interlocked.Exchange(ref _renewal, null)?.Dispose();
        if (Interlocked.Exchange(ref _control, null) is { } control)
        {
            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Half way through each grant's lifetime, asks the router for a fresh one.</summary>
    private async Task KeepGrantFreshAsync(MuxStream control, OverlayGrant grant, CancellationToken cancellationToken)
    {
        string ended;
        try
        {
            while (true)
            {
                // Measured from receipt on this clock, so a skewed clock delays nothing.
                await Task.Delay(grant.Lifetime / 2, context.Time, cancellationToken).ConfigureAwait(false);
                await control.WriteAsync(new[] { BindControl.RenewRequest }, cancellationToken).ConfigureAwait(false);
                var next = await BindControl.ReadGrantAsync(control, cancellationToken).ConfigureAwait(false);
                if (next is null)
                {
                    ended = "the router closed it (this identity may no longer bind the service)";
                    break;
                }

                grant = Hold(next);
                OverlayLog.BindGrantRenewed(context.Logger, listener.Service, grant.ExpiresAt);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException)
        {
            ended = ex.Message;
        }

        OverlayLog.BindEnded(context.Logger, listener.Service, ended);
        if (Interlocked.CompareExchange(ref _control, null, control) == control)
        {
            control.Abort("the bind ended");
        }
    }

    private OverlayGrant Hold(byte[] bytes)
    {
        var grant = context.Grants.VerifyPeer(context.Certificate, bytes, GrantKind.Bind, listener.Service);
        Volatile.Write(ref _grant, bytes);
        listener.OnGrant(bytes, grant);
        return grant;
    }
}
