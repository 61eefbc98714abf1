using System.Security.Authentication;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// A listener's bind at one router: the control stream the router accepted, the controller-signed bind
/// grant the router handed down it (what this binder shows dialers that come through that router), and
/// the hold on it: a renewal asks for a fresh grant when half of the last one's lifetime has passed, and
/// a router that ends the bind in between (a withdrawn right to bind, a garbled control stream) is noticed
/// at once. After the router is lost or ends the bind it is detached, and attached again to the control
/// stream of the rebind.
/// </summary>
internal sealed class RouterBinding(OverlayListener listener, OverlayContext context, RouterLink link)
{
    private MuxStream? _control;
    private TaskCompletionSource _nextAttach = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _grant;
    private CancellationTokenSource? _renewal;
    private Task _hold = Task.CompletedTask;
    private long _rebindDelayTicks;

    /// <summary>The router's <c>HOST:PORT</c>.</summary>
    public string RouterAddress => link.Address;

    /// <summary>Whether the router holds this bind now.</summary>
    public bool IsAttached => Volatile.Read(ref _control) is not null;

    /// <summary>The bind grant to show dialers that come through this router, as it last handed it out.</summary>
    public ReadOnlyMemory<byte> Grant => Volatile.Read(ref _grant) ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>
    /// Takes the control stream of a bind the router accepted: reads and checks the first bind grant,
    /// then holds the bind in the background until it ends, is detached or the listener stops.
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
        Volatile.Write(ref _hold, HoldAsync(control, grant, renewal.Token));
        Interlocked.Exchange(ref _nextAttach, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Completes when the bind is next attached here (for tests of rebinding).</summary>
    public Task NextAttachAsync() => Volatile.Read(ref _nextAttach).Task;

    /// <summary>Forgets the control stream (the router was lost) and stops holding it.</summary>
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
        if (Interlocked.Exchange(ref _renewal, null) is { } renewal)
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            renewal.Dispose();
        }

        // The hold's pending read ends with its token; the stream is disposed only once nothing reads it.
        await Volatile.Read(ref _hold).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _control, null) is { } control)
        {
            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Holds the bind until it ends. One read stays pending on the control stream (a zero-byte read, so
    /// it takes nothing and buffers nothing beyond the stream's window), and half way through each grant's
    /// lifetime it asks for a fresh grant. The router writes only in answer to a renewal request, so
    /// anything else it sends, and the stream ending (a reset such as <see cref="ReasonCode.NotAuthorized"/>,
    /// or a close), ends the bind at once rather than at the next renewal. Never throws.
    /// </summary>
    private async Task HoldAsync(MuxStream control, OverlayGrant grant, CancellationToken cancellationToken)
    {
        string ended;
        try
        {
            while (true)
            {
                var arrival = control.ReadAsync(Memory<byte>.Empty, cancellationToken).AsTask();

                // Measured from receipt on this clock, so a skewed clock delays nothing.
                if (await ArrivesWithinAsync(arrival, grant.Lifetime / 2, cancellationToken).ConfigureAwait(false))
                {
                    ended = await UnaskedAsync(control, cancellationToken).ConfigureAwait(false);
                    break;
                }

                await control.WriteAsync(new[] { BindControl.RenewRequest }, cancellationToken).ConfigureAwait(false);
                await arrival.ConfigureAwait(false);
                var next = await BindControl.ReadGrantAsync(control, cancellationToken).ConfigureAwait(false);
                if (next is null)
                {
                    ended = "the router closed it instead of renewing its grant (this identity may no longer bind the service)";
                    break;
                }

                grant = Hold(next);
                Interlocked.Exchange(ref _rebindDelayTicks, 0);
                OverlayLog.BindGrantRenewed(context.Logger, listener.Service, grant.ExpiresAt);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException)
        {
            ended = control.PeerResetCode is { } code ? $"the router reset it with {code} ({ex.Message})" : ex.Message;
        }

        // Detached meanwhile, or the whole session ended: the link's watch of the session detaches every bind and reconnects.
        if (!cancellationToken.IsCancellationRequested && !control.IsSessionClosed)
        {
            End(control, ended);
        }
    }

    /// <summary>Whether <paramref name="arrival"/> completes within <paramref name="wait"/> on the context's clock; it throws what the read throws.</summary>
    private async Task<bool> ArrivesWithinAsync(Task<int> arrival, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await arrival.WaitAsync(wait, context.Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>What ended a bind whose control stream had something to read between renewals: its end, or bytes nobody asked for (left unread).</summary>
    private static async Task<string> UnaskedAsync(MuxStream control, CancellationToken cancellationToken)
    {
        var probe = new byte[1];
        return await control.ReadAsync(probe, cancellationToken).ConfigureAwait(false) == 0
            ? "the router closed it"
            : "the router sent data unasked on its control stream (a router writes there only in answer to a renewal request); it may be compromised or misconfigured";
    }

    /// <summary>Detaches the bind the router ended (unless detached already), resets its control stream, logs why and asks the link to bind again.</summary>
    private void End(MuxStream control, string why)
    {
        if (Interlocked.CompareExchange(ref _control, null, control) != control)
        {
            return;
        }

        control.Abort("the bind ended");

        // A bind the router keeps ending before it was renewed once waits longer each time (up to
        // ReconnectMaxDelay), so a router that accepts binds and ends them at once is not asked in a tight loop.
        var last = Interlocked.Read(ref _rebindDelayTicks);
        var delay = link.RebindDelayAfter(last == 0 ? null : TimeSpan.FromTicks(last));
        Interlocked.Exchange(ref _rebindDelayTicks, delay.Ticks);
        OverlayLog.BindEnded(context.Logger, listener.Service, link.Address, why, delay.TotalMilliseconds);
        if (!listener.IsDisposed)
        {
            link.Rebind(delay);
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
