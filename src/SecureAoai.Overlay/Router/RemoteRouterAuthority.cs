using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router's questions answered by a controller in another process, for a router that is an
/// enrolled router of its own (it holds its identity file, never the CA key nor the grant-signing key).
/// It asks over mutual TLS with its router certificate (see <see cref="ControllerChannel"/>):
/// <list type="bullet">
/// <item><c>router-watch</c>, a long poll on one connection, to hear at once when the controller's state
/// changes (a version <c>EPOCH-N</c>); then it drops its cached grants and reads the identities again.</item>
/// <item><c>router-identities</c>, in pages, for its snapshot of who may use this router; an identity that
/// is no longer in it (revoked, or no router policy admits it any more) has its sessions closed.</item>
/// <item><c>router-grant</c> for each bind and dial it holds no fresh answer for (see <see cref="RouterGrantCache"/>);
/// asks at the same state version while one runs share it (see <see cref="SharedGrantFetches"/>).</item>
/// </list>
/// When the controller cannot be reached, the router serves from what it holds for
/// <see cref="OverlayRouterHostOptions.ControllerOutageTolerance"/> after its last answer: sessions of the
/// identities in its snapshot, and dials and binds it holds a grant for. After that, new sessions, dials
/// and binds are refused with <c>ControllerUnreachable</c>; streams already open go on.
/// </summary>
internal sealed class RemoteRouterAuthority : IRouterAuthority, IAsyncDisposable
{
    /// <summary>How long the router asks the controller to hold a watch open when nothing changes.</summary>
    public static readonly TimeSpan WatchWait = TimeSpan.FromSeconds(10);

    /// <summary>The first pause after the controller could not be reached; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest pause between attempts to reach the controller.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>How often the grants in use are checked for one to fetch again ahead of its expiry.</summary>
    public static readonly TimeSpan GrantRefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>The most pages one reading of the identities takes (each up to 32 KiB): a bound on a controller that never says "no more".</summary>
    public const int MaxIdentityPages = 100_000;

    private readonly OverlayRouterIdentity _identity;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ControllerChannel _requests;
    private readonly ControllerChannel _watch;
    private readonly RouterGrantCache _grants;
    private readonly SharedGrantFetches _fetching = new();
    private readonly CancellationTokenSource _stop = new();
    private RouterIdentitySnapshot _snapshot = new(string.Empty, []);
    private long _lastAnswerTicks;
    private volatile bool _reachable;
    private volatile string? _refusedBecause;
    private Task _maintenance = Task.CompletedTask;
    private Task _refresh = Task.CompletedTask;

    public RemoteRouterAuthority(OverlayRouterIdentity identity, TimeSpan outageTolerance, TimeProvider time, ILogger logger)
    {
        _identity = identity;
        _tolerance = outageTolerance;
        _time = time;
        _logger = logger;
        _requests = new ControllerChannel(identity);
        _watch = new ControllerChannel(identity);
        _grants = new RouterGrantCache(time);
    }

    public event Action<string>? IdentityRevoked;

    public event Action? StateChanged;

    /// <summary>Raised with the controller's state version each time the router has read a new snapshot (a change took effect here).</summary>
    internal event Action<string>? SnapshotRead;

    public X509Certificate2 CaCertificate => _identity.CaCertificate;

    /// <summary>The controller's state version the router's snapshot was read at.</summary>
    internal string Version => Volatile.Read(ref _snapshot).Version;

    /// <summary>Answers the router holds now, for tests and the latency benchmark.</summary>
    internal RouterGrantCache Grants => _grants;

    /// <summary>
    /// Reads the first snapshot and starts watching the controller. The router must not serve before:
    /// it would know nobody.
    /// </summary>
    /// <exception cref="IOException">The controller could not be reached, or refused this router; the message says which.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var version = await WatchAsync(null, cancellationToken).ConfigureAwait(false);
            await ReloadAsync(version, cancellationToken).ConfigureAwait(false);
        }
        catch (RouterAuthorityUnavailableException ex)
        {
            throw new IOException($"Router '{_identity.Name}' could not start: {ex.Message}", ex);
        }

        _maintenance = MaintainAsync(_stop.Token);
        _refresh = RefreshGrantsAsync(_stop.Token);
    }

    public async ValueTask<RouterCaller?> AuthenticateAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        EnsureServing();
        var thumbprint = OverlayCertificateAuthority.ComputeFingerprint(certificate);
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.Find(thumbprint) is { } known)
        {
            return known;
        }

        if (snapshot.IsRefused(thumbprint))
        {
            return null;
        }

        if (!_reachable)
        {
            throw new RouterAuthorityUnavailableException($"router '{_identity.Name}' cannot reach its controller to learn of an identity it has not seen yet");
        }

        // An identity that enrolled after the snapshot was read: ask about it alone, at once.
        var answer = await AskAsync(new JsonObject { ["op"] = ControllerProtocol.RouterIdentitiesOp, ["thumbprint"] = thumbprint }, cancellationToken).ConfigureAwait(false);
        var found = Identities(answer).FirstOrDefault(i => i.Thumbprint == thumbprint);
        snapshot.Learn(thumbprint, found);
        return found;
    }

    public bool CanUseRouter(string identity) => _refusedBecause is null && Volatile.Read(ref _snapshot).Admits(identity);

    public bool IsRevoked(string identity) => !CanUseRouter(identity);

    public ValueTask<byte[]?> IssueBindGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) =>
        IssueAsync(new RouterGrantCache.Key(GrantKind.Bind, caller.Thumbprint, service), cancellationToken);

    public ValueTask<byte[]?> IssueDialGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) =>
        IssueAsync(new RouterGrantCache.Key(GrantKind.Dial, caller.Thumbprint, service), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _maintenance.ConfigureAwait(false);
        await _refresh.ConfigureAwait(false);
        await _requests.DisposeAsync().ConfigureAwait(false);
        await _watch.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async ValueTask<byte[]?> IssueAsync(RouterGrantCache.Key key, CancellationToken cancellationToken)
    {
        EnsureServing();
        if (_grants.TryGetFresh(key, Version, out var fresh))
        {
            return fresh;
        }

        if (_reachable)
        {
            try
            {
                return await FetchAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (RouterAuthorityUnavailableException) when (_refusedBecause is null && _grants.TryGetDuringOutage(key, out var held))
            {
                return held;
            }
        }

        return _grants.TryGetDuringOutage(key, out var kept)
            ? kept
            : throw new RouterAuthorityUnavailableException($"router '{_identity.Name}' cannot reach its controller and holds no {key.Kind.ToString().ToLowerInvariant()} grant for this identity on '{key.Service}'");
    }

    /// <summary>Asks the controller for one grant; concurrent asks for the same one share the answer.</summary>
    private async Task<byte[]?> FetchAsync(RouterGrantCache.Key key, CancellationToken cancellationToken)
    {
        // The shared fetch runs on the router's own token: one dial giving up must not fail the others waiting on it.
        var fetch = _fetching.GetAsync(key, Version, FetchOnceAsync);
        return await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]?> FetchOnceAsync(RouterGrantCache.Key key)
    {
        var answer = await AskAsync(new JsonObject
        {
            ["op"] = ControllerProtocol.RouterGrantOp,
            ["kind"] = key.Kind == GrantKind.Bind ? RouterRequest.Bind : RouterRequest.Dial,
            ["thumbprint"] = key.Thumbprint,
            ["service"] = key.Service,
        }, _stop.Token).ConfigureAwait(false);
        var grant = ControllerProtocol.GetString(answer, "grant") is { } base64 ? Convert.FromBase64String(base64) : null;
        _grants.Put(key, grant, ControllerProtocol.GetString(answer, "version") ?? string.Empty);
        return grant;
    }

    /// <summary>Refuses everything when the controller refused this router or has been silent too long.</summary>
    private void EnsureServing()
    {
        if (_refusedBecause is { } refused)
        {
            throw new RouterAuthorityUnavailableException(refused);
        }

        var silent = _time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastAnswerTicks), TimeSpan.Zero);
        if (silent > _tolerance)
        {
            throw new RouterAuthorityUnavailableException(
                $"router '{_identity.Name}' has not reached its controller for {silent.TotalSeconds:0} s, longer than it may serve without it ({_tolerance.TotalSeconds:0} s, ControllerOutageTolerance)");
        }
    }

    /// <summary>Watches the controller for changes until stopped, retrying with backoff while it cannot be reached.</summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var delay = MinRetryDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var version = await WatchAsync(Version, cancellationToken).ConfigureAwait(false);
                if (version != Version)
                {
                    await ReloadAsync(version, cancellationToken).ConfigureAwait(false);
                }

                delay = MinRetryDelay;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RouterAuthorityUnavailableException ex)
            {
                RemoteAuthorityLog.ControllerUnreachable(_logger, _identity.ControllerAddress, ex.Message, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
    }

    private async Task<string> WatchAsync(string? known, CancellationToken cancellationToken)
    {
        var answer = await AskAsync(_watch, new JsonObject { ["op"] = ControllerProtocol.RouterWatchOp, ["version"] = known }, WatchWait + ControllerClient.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return ControllerProtocol.GetString(answer, "version") ?? string.Empty;
    }

    /// <summary>
    /// The state changed: grants given for the old state may no longer hold, so they go at once; then the
    /// identities are read again, and those that left are told to the router (their sessions close).
    /// </summary>
    private async Task ReloadAsync(string version, CancellationToken cancellationToken)
    {
        _grants.Clear();
        var identities = new List<RouterCaller>();
        string? after = null;
        for (var page = 0; page < MaxIdentityPages; page++)
        {
            var request = new JsonObject { ["op"] = ControllerProtocol.RouterIdentitiesOp };
            if (after is not null)
            {
                request["after"] = after;
            }

            var answer = await AskAsync(request, cancellationToken).ConfigureAwait(false);
            var listed = Identities(answer);
            identities.AddRange(listed);
            if (answer["more"] is not JsonValue more || !more.TryGetValue<bool>(out var hasMore) || !hasMore || listed.Count == 0)
            {
                break;
            }

            after = listed[^1].Thumbprint;
        }

        var fresh = new RouterIdentitySnapshot(version, identities);
        var previous = Interlocked.Exchange(ref _snapshot, fresh);
        RemoteAuthorityLog.SnapshotRead(_logger, _identity.Name, version, identities.Count);
        foreach (var gone in previous.Names.Distinct().Where(name => !fresh.Admits(name)).ToArray())
        {
            IdentityRevoked?.Invoke(gone);
        }

        StateChanged?.Invoke();
        SnapshotRead?.Invoke(version);
    }

    private Task<JsonObject> AskAsync(JsonObject request, CancellationToken cancellationToken) =>
        AskAsync(_requests, request, ControllerClient.RequestTimeout, cancellationToken);

    /// <summary>
    /// One request to the controller. An answer marks it reachable; a failure to reach it marks it
    /// unreachable (and fails with <see cref="RouterAuthorityUnavailableException"/>); a refusal of this
    /// router (revoked, deleted, another overlay) ends every session it serves.
    /// </summary>
    private async Task<JsonObject> AskAsync(ControllerChannel channel, JsonObject request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        JsonObject answer;
        try
        {
            answer = await channel.RequestAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or InvalidDataException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _reachable = false;
            throw new RouterAuthorityUnavailableException($"router '{_identity.Name}' cannot reach its controller at {_identity.ControllerAddress}: {ex.Message}", ex);
        }

        if (answer["ok"]?.GetValue<bool>() == true)
        {
            Interlocked.Exchange(ref _lastAnswerTicks, _time.GetUtcNow().UtcTicks);
            _reachable = true;
            _refusedBecause = null;
            return answer;
        }

        var message = ControllerProtocol.GetString(answer, "message") ?? "no reason given";
        if (ControllerProtocol.GetString(answer, "error") == ControllerProtocol.ForbiddenError)
        {
            Refuse($"the controller at {_identity.ControllerAddress} does not accept router '{_identity.Name}' (revoked or deleted?): {message}");
        }

        throw new RouterAuthorityUnavailableException($"the controller at {_identity.ControllerAddress} refused a request of router '{_identity.Name}': {message}");
    }

    /// <summary>The controller no longer answers this router: nobody may use it, and every session closes.</summary>
    private void Refuse(string because)
    {
        var first = _refusedBecause is null;
        _refusedBecause = because;
        _grants.Clear();
        var previous = Interlocked.Exchange(ref _snapshot, new RouterIdentitySnapshot(string.Empty, []));
        if (first)
        {
            RemoteAuthorityLog.RefusedByController(_logger, _identity.Name, because);
        }

        foreach (var name in previous.Names.Distinct().ToArray())
        {
            IdentityRevoked?.Invoke(name);
        }
    }

    /// <summary>Fetches grants in use again once they pass <see cref="RouterGrantCache.RefreshAfterFraction"/> of their life, while the controller answers.</summary>
    private async Task RefreshGrantsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(GrantRefreshInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var key in _grants.DueForRefresh())
                {
                    if (!_reachable || cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    try
                    {
                        await FetchAsync(key, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RouterAuthorityUnavailableException)
                    {
                        // The maintenance loop notices and retries; the held grant serves meanwhile.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The router is stopping.
        }
    }

    private static List<RouterCaller> Identities(JsonObject answer)
    {
        var identities = new List<RouterCaller>();
        foreach (var node in answer["identities"] as JsonArray ?? [])
        {
            if (node is JsonObject entry && ControllerProtocol.GetString(entry, "thumbprint") is { Length: 64 } thumbprint && ControllerProtocol.GetString(entry, "name") is { } name)
            {
                var roles = entry["roles"] is JsonArray array ? array.OfType<JsonValue>().Select(r => r.TryGetValue<string>(out var role) ? role : null).OfType<string>().ToArray() : [];
                identities.Add(new RouterCaller(name, roles) { Thumbprint = thumbprint });
            }
        }

        return identities;
    }
}
