using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The overlay's router: one TCP port, mutual TLS with overlay certificates only. Binders register
/// terminators; each dial is checked against policy and joined to a terminator, and the router then
/// forwards the two streams' bytes (ciphertext: the ends seal them) without reading them. This type
/// owns the listening socket and the parts that do the work: the <see cref="SessionLoop"/> of each
/// connection, the <see cref="TerminatorTable"/>, the <see cref="BindHandler"/>, the
/// <see cref="DialJoiner"/> and the <see cref="RouterSessions"/> that revocation closes.
/// </summary>
internal sealed class OverlayRouter : IAsyncDisposable
{
    private readonly IRouterAuthority _authority;
    private readonly OverlayRouterOptions _options;
    private readonly ILogger _logger;
    private readonly TerminatorTable _terminators;
    private readonly RouterSessions _sessions;
    private readonly DialJoiner _dials;
    private readonly BindHandler _binds;
    private readonly SessionLoop _sessionLoop;
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _sweep = Task.CompletedTask;
    private int _disposed;

    public OverlayRouter(IRouterAuthority authority, X509Certificate2 serverCertificate, OverlayRouterOptions? options = null, ILogger? logger = null)
    {
        _authority = authority;
        _options = options ?? new OverlayRouterOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _terminators = new TerminatorTable(_options.Strategy);
        _sessions = new RouterSessions(authority, _terminators, _logger);
        _dials = new DialJoiner(_terminators, _options, _logger);
        _binds = new BindHandler(authority, _terminators, _logger, _stop.Token);
        _sessionLoop = new SessionLoop(authority, serverCertificate, _options, _sessions, _binds, _dials, _logger);
        _authority.IdentityRevoked += _sessions.CloseSessionsOf;
        _authority.StateChanged += _binds.RecheckAll;
    }

    /// <summary>Where the router listens, once started.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener ?? throw new InvalidOperationException("The router is not started.")).LocalEndpoint;

    /// <summary>Bytes forwarded between dialers and binders, both directions; for tests and the load tool.</summary>
    public long ForwardedBytes => _dials.ForwardedBytes;

    /// <summary>Connected parties.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Live terminators of <paramref name="service"/>.</summary>
    public int TerminatorCount(string service) => _terminators.Count(service);

    /// <summary>The sessions of <paramref name="identity"/>, for tests that watch what the router holds for one party.</summary>
    internal IReadOnlyList<MuxSession> SessionsOf(string identity) => [.. _sessions.Of(identity).Select(s => s.Mux)];

    /// <summary>The dials each live binder of <paramref name="service"/> counts (pending opens included), by binder identity.</summary>
    internal IReadOnlyList<(string Binder, int ActiveDials)> TerminatorLoads(string service) => _terminators.Loads(service);

    /// <summary>Observes every byte the router forwards, for tests that prove it only ever sees ciphertext.</summary>
    internal Action<ReadOnlyMemory<byte>>? ForwardTap
    {
        get => _dials.Tap;
        set => _dials.Tap = value;
    }

    public void Start(IPEndPoint endPoint)
    {
        _listener = new TcpListener(endPoint);
        _listener.Start(backlog: 512);
        _acceptLoop = AcceptLoopAsync(_listener, _stop.Token);
        _sweep = _sessions.SweepRevocationsAsync(_options.RevocationSweepInterval, _stop.Token);
        RouterLog.Listening(_logger, LocalEndPoint.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _authority.IdentityRevoked -= _sessions.CloseSessionsOf;
        _authority.StateChanged -= _binds.RecheckAll;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        await _acceptLoop.ConfigureAwait(false);
        await _sweep.ConfigureAwait(false);
        foreach (var session in _sessions.All)
        {
            await session.Mux.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken) =>
        AcceptLoop.RunAsync(listener, socket =>
        {
            if (_sessions.Count >= _options.MaxSessions)
            {
                socket.Dispose();
                return;
            }

            socket.NoDelay = true;
            _ = _sessionLoop.ServeAsync(socket, cancellationToken);
        }, "overlay router", _logger, TimeProvider.System, cancellationToken);
}
