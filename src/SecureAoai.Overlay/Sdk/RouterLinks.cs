using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// The routers a context uses, one <see cref="RouterLink"/> each, and the choice among them. The routers
/// are <see cref="OverlayContextOptions.RouterAddress"/> alone when set, else every router the controller
/// names for the identity, learned on first use. A bind is registered on each of them (or the first
/// <see cref="OverlayContextOptions.MaxBindRouters"/>); a dial goes through the best link
/// (<see cref="DialOrder"/>) and, when that router cannot serve it, through the next at once.
/// </summary>
internal sealed class RouterLinks(OverlayIdentity identity, OverlayContextOptions options, ListenerRegistry listeners, ILogger logger) : IAsyncDisposable
{
    private readonly RouterDiscovery _discovery = new(identity);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RouterLink[]? _links;

    /// <summary>Whether some link holds a live session with its router.</summary>
    public bool IsConnected => Volatile.Read(ref _links) is { } links && links.Any(l => l.IsConnected);

    /// <summary>The links, once made (for tests that watch them).</summary>
    internal IReadOnlyList<RouterLink> Links => Volatile.Read(ref _links) ?? [];

    /// <summary>
    /// Opens a routed stream to a binder of <paramref name="service"/> through the best link; when that
    /// router is unreachable, has no binder, is busy or cannot reach its controller, through the next.
    /// </summary>
    /// <exception cref="OverlayDialException">No router could serve the dial; a refusal that every router would give (not authorized) ends the search at once.</exception>
    public async Task<(MuxStream Stream, RouterLink Via)> OpenDialAsync(string service, CancellationToken cancellationToken)
    {
        var links = await LinksAsync(service, cancellationToken).ConfigureAwait(false);
        List<OverlayDialException>? failures = null;
        foreach (var link in DialOrder(links))
        {
            try
            {
                return (await link.OpenDialAsync(service, cancellationToken).ConfigureAwait(false), link);
            }
            catch (OverlayDialException ex) when (TriesAnother(ex.Reason))
            {
                (failures ??= []).Add(ex);
            }
        }

        throw Summary(service, "Dial", failures!);
    }

    /// <summary>
    /// Registers <paramref name="listener"/>'s bind on every link a bind uses, at once. It succeeds when
    /// one router holds it; a link whose router could not be reached binds it when the router is back.
    /// </summary>
    /// <exception cref="OverlayDialException">No router holds the bind, or one refused it for a reason every router would give.</exception>
    public async Task BindAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        var links = await LinksAsync(listener.Service, cancellationToken).ConfigureAwait(false);
        var chosen = links.Take(options.MaxBindRouters ?? links.Length).ToArray();
        var results = await Task.WhenAll(chosen.Select(link => TryBindAsync(link, listener, cancellationToken))).ConfigureAwait(false);
        var failures = results.OfType<OverlayDialException>().ToList();
        if (failures.Count == results.Length || failures.Any(f => !TriesAnother(f.Reason)))
        {
            throw Summary(listener.Service, "Bind", failures);
        }

        for (var i = 0; i < chosen.Length; i++)
        {
            if (results[i] is not null)
            {
                chosen[i].StartReconnecting();
            }
        }
    }

    /// <summary>Stops every link reconnecting and delivering dials.</summary>
    public void Stop()
    {
        foreach (var link in Links)
        {
            link.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _links, null) is { } links)
        {
            foreach (var link in links)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
        }

        _gate.Dispose();
    }

    /// <summary>
    /// The order a dial tries the links in: connected ones first (a lost router is tried last, and only
    /// then reconnected by the dial), among them the lowest measured latency first (a link not yet
    /// measured counts as fastest, so it gets measured), ties broken by address so the choice is deterministic.
    /// </summary>
    internal static IEnumerable<RouterLink> DialOrder(IEnumerable<RouterLink> links) =>
        links.OrderBy(l => l.IsConnected ? 0 : 1)
            .ThenBy(l => double.IsNaN(l.LatencyMs) ? 0 : l.LatencyMs)
            .ThenBy(l => l.Address, StringComparer.Ordinal);

    /// <summary>Whether another router may serve what this one could not: not for refusals the controller's policy decides, which every router gives alike.</summary>
    private static bool TriesAnother(OverlayDialFailure reason) =>
        reason is OverlayDialFailure.RouterUnreachable or OverlayDialFailure.NoTerminator or OverlayDialFailure.Busy or OverlayDialFailure.ControllerUnreachable or OverlayDialFailure.RouterNotTrusted;

    /// <summary>The one failure to report for several routers: the first that is not "unreachable" (it says more), its message naming every router's answer when there were several.</summary>
    private static OverlayDialException Summary(string service, string what, List<OverlayDialException> failures)
    {
        var main = failures.FirstOrDefault(f => !TriesAnother(f.Reason))
            ?? failures.FirstOrDefault(f => f.Reason != OverlayDialFailure.RouterUnreachable)
            ?? failures[0];
        return failures.Count == 1
            ? main
            : new OverlayDialException(service, main.Reason, $"{what} of '{service}' failed on every router ({failures.Count}): {string.Join(" | ", failures.Select(f => f.Message))}", main);
    }

    private static async Task<OverlayDialException?> TryBindAsync(RouterLink link, OverlayListener listener, CancellationToken cancellationToken)
    {
        try
        {
            await link.BindAsync(listener, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (OverlayDialException ex)
        {
            return ex;
        }
    }

    /// <summary>The links, made on first use from the option or the controller's answer.</summary>
    private async Task<RouterLink[]> LinksAsync(string service, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _links) is { } made)
        {
            return made;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _links) is { } again)
            {
                return again;
            }

            IReadOnlyList<string> addresses;
            try
            {
                addresses = options.RouterAddress is { } one ? [one] : await _discovery.RoutersAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"No overlay router could be learned from the controller at {identity.ControllerAddress}: {ex.Message}", ex);
            }

            // With several routers, a link reconnects after a loss even when nothing is bound: the dialer keeps its choice.
            var links = addresses.Distinct(StringComparer.Ordinal).Select(a => new RouterLink(a, identity, options, listeners, logger, keepConnected: addresses.Count > 1)).ToArray();
            Volatile.Write(ref _links, links);
            return links;
        }
        finally
        {
            _gate.Release();
        }
    }
}
