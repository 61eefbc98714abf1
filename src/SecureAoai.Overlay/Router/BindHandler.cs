using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// A bind at the router: the binder's control stream, the bind grants sent down it, and the terminator
/// it keeps registered for as long as the stream is open and the binder may still bind.
/// <paramref name="stopping"/> is the router's: a renewal waiting on the controller ends when the router stops.
/// </summary>
/// <remarks>
/// When the controller's state changes (<see cref="IRouterAuthority.StateChanged"/>), every live bind asks
/// at once for a bind grant again, as a renewal would: a refusal unbinds it, so a withdrawn right to bind
/// takes effect when the router learns of the change, not at the binder's next renewal. A granted re-check
/// keeps the bind and sends nothing: the binder's grant is still valid until it expires, and only the
/// renewal loop writes to the control stream. Each bind runs at most one re-check at a time; changes that
/// come while one runs leave one more re-check pending (at the newest state), never a queue of them.
/// </remarks>
internal sealed class BindHandler(IRouterAuthority authority, TerminatorTable terminators, ILogger logger, CancellationToken stopping)
{
    private readonly ConcurrentDictionary<Channel<bool>, bool> _live = new();

    /// <summary>Asks every live bind to check its right to bind again (the controller's state changed).</summary>
    public void RecheckAll()
    {
        foreach (var pending in _live.Keys)
        {
            pending.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// Registers a terminator for as long as the binder holds its control stream open, after sending it
    /// <paramref name="grant"/>. Policy was checked on this bind (its grant), not only at connect, so a
    /// policy change applies at once; each renewal checks it again.
    /// </summary>
    public async Task RunAsync(RouterSession session, MuxIncomingStream incoming, RouterRequest request, byte[] grant)
    {
        var control = await incoming.AcceptAsync().ConfigureAwait(false);
        var terminator = new Terminator(request.Service, session, control, request.Weight);
        try
        {
            // The grant goes out before the terminator exists, so it reaches the binder before any dial.
            await BindControl.WriteGrantAsync(control, grant).ConfigureAwait(false);
            terminators.Add(terminator);
            RouterLog.Bound(logger, session.Caller.Name, request.Service);
            await RenewAndRecheckAsync(session, control, terminator).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The binder or its session went away.
        }
        finally
        {
            // Where a terminator leaves, besides its session ending and a refused re-check: never because a dial failed.
            Unbind(session, terminator);

            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Serves the binder's renewals while re-checking the bind on every state change, until the bind ends.</summary>
    private async Task RenewAndRecheckAsync(RouterSession session, MuxStream control, Terminator terminator)
    {
        // One slot: a change while a re-check runs leaves one re-check pending; more changes are folded into it.
        var pending = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _live.TryAdd(pending, true);
        var rechecks = RecheckOnChangeAsync(session, control, terminator, pending.Reader, ended.Token);
        try
        {
            await RenewWhileAskedAsync(session, control, terminator.Service).ConfigureAwait(false);
        }
        finally
        {
            _live.TryRemove(pending, out _);
            await ended.CancelAsync().ConfigureAwait(false);
            await rechecks.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks for a bind grant each time the controller's state changed; one refused removes the terminator
    /// and resets the control stream as a refused renewal does.
    /// </summary>
    private async Task RecheckOnChangeAsync(RouterSession session, MuxStream control, Terminator terminator, ChannelReader<bool> pending, CancellationToken cancellationToken)
    {
        try
        {
            while (await pending.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                pending.TryRead(out _);
                byte[]? grant;
                try
                {
                    grant = await authority.IssueBindGrantAsync(session.Caller, terminator.Service, cancellationToken).ConfigureAwait(false);
                }
                catch (RouterAuthorityUnavailableException unavailable)
                {
                    Unbind(session, terminator);
                    control.Abort(ReasonCode.ControllerUnreachable, unavailable.Message);
                    return;
                }

                if (grant is null)
                {
                    // The terminator goes first, so no dial is joined to the binder after the refusal.
                    Unbind(session, terminator);
                    RouterLog.Denied(logger, session.Caller.Name, RouterRequest.Bind, terminator.Service);
                    control.Abort(ReasonCode.NotAuthorized, NoLongerMayBind(session, terminator.Service));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The bind ended, or the router is stopping.
        }
    }

    private void Unbind(RouterSession session, Terminator terminator)
    {
        if (terminators.Remove(terminator))
        {
            RouterLog.Unbound(logger, session.Caller.Name, terminator.Service);
        }
    }

    private static string NoLongerMayBind(RouterSession session, string service) =>
        $"not authorized: identity '{session.Caller.Name}' may no longer bind service '{service}'";

    /// <summary>
    /// The binder holds its control stream open while it serves; it closes it (or writes anything but a
    /// renewal request) to unbind. It asks for a fresh grant now and then; one that may no longer bind
    /// gets none, and its control stream is reset with <see cref="ReasonCode.NotAuthorized"/>; when the
    /// router cannot get an answer (its controller unreachable for too long), the reset carries
    /// <see cref="ReasonCode.ControllerUnreachable"/> so the binder can bind elsewhere.
    /// </summary>
    private async Task RenewWhileAskedAsync(RouterSession session, MuxStream control, string service)
    {
        var buffer = new byte[64];
        int read;
        while ((read = await control.ReadAsync(buffer).ConfigureAwait(false)) > 0
            && !buffer.AsSpan(0, read).ContainsAnyExcept(BindControl.RenewRequest))
        {
            byte[]? renewed;
            try
            {
                renewed = await authority.IssueBindGrantAsync(session.Caller, service, stopping).ConfigureAwait(false);
            }
            catch (RouterAuthorityUnavailableException unavailable)
            {
                control.Abort(ReasonCode.ControllerUnreachable, unavailable.Message);
                return;
            }

            if (renewed is null)
            {
                RouterLog.Denied(logger, session.Caller.Name, RouterRequest.Bind, service);
                control.Abort(ReasonCode.NotAuthorized, NoLongerMayBind(session, service));
                return;
            }

            await BindControl.WriteGrantAsync(control, renewed).ConfigureAwait(false);
        }
    }
}
