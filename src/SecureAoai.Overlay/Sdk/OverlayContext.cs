using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay;

/// <summary>
/// The embedded overlay, as an enrolled identity sees it: dial services by name, bind services to
/// serve them. It connects to every router the controller names for the identity (or the one
/// <see cref="OverlayContextOptions.RouterAddress"/>), one TLS connection each that carries every stream
/// through that router. A bind is registered on each router; a dial goes through the connected router that
/// opened dials fastest, and through another at once when that one is lost. A lost router is reconnected
/// with backoff capped at <see cref="OverlayContextOptions.ReconnectMaxDelay"/>, and every bind is
/// registered on it again by itself. Fully asynchronous. This is the default
/// <see cref="IOverlayTransport"/>.
/// </summary>
public sealed class OverlayContext : IOverlayTransport, IAsyncDisposable
{
    private readonly OverlayIdentity _identity;
    private readonly OverlayContextOptions _options;
    private readonly ListenerRegistry _listeners = new();
    private readonly RouterLinks _links;
    private readonly EphemeralKeyPool _keys = new();
    private int _disposed;
    private bool _ownsIdentity;

    private OverlayContext(OverlayIdentity identity, OverlayContextOptions options, ILogger logger)
    {
        _identity = identity;
        _options = options;
        Logger = logger;
        Grants = new GrantVerifier(identity.CaCertificate, options.TimeProvider);
        Sealer = new StreamSealer(identity, Grants, logger, _keys);
        _links = new RouterLinks(identity, options, _listeners, logger);
    }

    /// <summary>The identity this context acts as.</summary>
    public string IdentityName => _identity.Name;

    /// <summary>Whether the context holds a live connection to at least one router.</summary>
    public bool IsConnected => _links.IsConnected;

    /// <summary>Checks grants against the identity's own CA, caching what verified.</summary>
    internal GrantVerifier Grants { get; }

    /// <summary>The identity's ends of the end-to-end handshake.</summary>
    internal StreamSealer Sealer { get; }

    /// <summary>The identity's certificate, with its key.</summary>
    internal X509Certificate2 Certificate => _identity.Certificate;

    internal TimeProvider Time => _options.TimeProvider;

    internal ILogger Logger { get; }

    /// <summary>The links to the routers, for tests that watch the choice among them.</summary>
    internal RouterLinks Links => _links;

    /// <summary>Creates a context for an enrolled identity; it connects on the first dial or bind.</summary>
    /// <param name="identity">The identity (see <see cref="OverlayIdentity.Load"/>).</param>
    /// <param name="options">Settings; the defaults when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where to log; nothing when <see langword="null"/>.</param>
    /// <returns>The context.</returns>
    public static OverlayContext Create(OverlayIdentity identity, OverlayContextOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        options ??= new OverlayContextOptions();
        options.Validate();
        return new OverlayContext(identity, options, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SecureAoai.Overlay"));
    }

    /// <summary>Creates a context from an identity file written by <c>secureaoai overlay enroll</c>; the context owns the loaded identity.</summary>
    /// <param name="identityFile">The identity file (mode 0600).</param>
    /// <param name="options">Settings; the defaults when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where to log; nothing when <see langword="null"/>.</param>
    /// <returns>The context.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist; the message says how to enroll.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, readable by others, or its key does not match.</exception>
    public static OverlayContext FromIdentityFile(string identityFile, OverlayContextOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        var context = Create(OverlayIdentity.Load(identityFile), options, loggerFactory);
        context._ownsIdentity = true;
        return context;
    }

    /// <summary>Opens a stream to <paramref name="service"/>, sealed end to end with its binder.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="OverlayDialException">Not authorized (or no such service), no binder, busy, router unreachable, or refused; <see cref="OverlayDialException.Reason"/> says which.</exception>
    public async Task<OverlayStream> DialAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var (stream, via) = await _links.OpenDialAsync(service, cancellationToken).ConfigureAwait(false);
        return await Sealer.SealDialAsync(stream, service, via.Address, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Binds <paramref name="service"/>: this identity serves its dials until the listener is disposed.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="cancellationToken">Cancels the bind.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="OverlayDialException">Not authorized to bind (or no such service), busy, or the router is unreachable.</exception>
    public async Task<OverlayListener> BindAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var listener = new OverlayListener(this, service, _options.MaxPendingAccepts);

        // Registered first: a router that could not be reached now binds it when it is back.
        _listeners.Add(listener);
        try
        {
            await _links.BindAsync(listener, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return listener;
    }

    /// <inheritdoc/>
    async Task<IOverlayListener> IOverlayTransport.BindAsync(string service, CancellationToken cancellationToken) =>
        await BindAsync(service, cancellationToken).ConfigureAwait(false);

    /// <summary>Closes the connection to the router; listeners and connections end with it.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _links.Stop();
        foreach (var listener in _listeners.Snapshot())
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        await _links.DisposeAsync().ConfigureAwait(false);
        _keys.Dispose();
        if (_ownsIdentity)
        {
            _identity.Dispose();
        }
    }

    internal void Forget(OverlayListener listener) => _listeners.Remove(listener);
}
