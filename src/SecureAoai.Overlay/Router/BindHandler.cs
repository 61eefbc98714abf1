using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// A bind at the router: the binder's control stream, the bind grants sent down it, and the terminator
/// it keeps registered for as long as the stream is open and the binder may still bind.
/// <paramref name="stopping"/> is the router's: a renewal waiting on the controller ends when the router stops.
/// </summary>
internal sealed class BindHandler(IRouterAuthority authority, TerminatorTable terminators, ILogger logger, CancellationToken stopping)
{
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
            await RenewWhileAskedAsync(session, control, request.Service).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The binder or its session went away.
        }
        finally
        {
            // The one place a terminator leaves, besides its session ending: never because a dial failed.
            if (terminators.Remove(terminator))
            {
                RouterLog.Unbound(logger, session.Caller.Name, terminator.Service);
            }

            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

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
                control.Abort(ReasonCode.NotAuthorized, $"not authorized: identity '{session.Caller.Name}' may no longer bind service '{service}'");
                return;
            }

            await BindControl.WriteGrantAsync(control, renewed).ConfigureAwait(false);
        }
    }
}
