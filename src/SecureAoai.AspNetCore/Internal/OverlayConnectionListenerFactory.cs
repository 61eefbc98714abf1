using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// Kestrel's transport for <see cref="OverlayEndPoint"/>: binds the service on the app's overlay
/// context. The context is made on the first bind and, when the app made it, disposed with the last listener.
/// </summary>
internal sealed class OverlayConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly OverlayHostingOptions _options;
    private readonly OverlayBindings _bindings;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private OverlayContext? _context;
    private OverlayIdentity? _ownedIdentity;
    private int _listeners;

    public OverlayConnectionListenerFactory(OverlayHostingOptions options, OverlayBindings bindings, ILoggerFactory loggerFactory)
    {
        _options = options;
        _bindings = bindings;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("SecureAoai.AspNetCore");
    }

    public bool CanBind(EndPoint endpoint) => endpoint is OverlayEndPoint { Identity: null };

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not OverlayEndPoint { Identity: null } overlay)
        {
            throw new ArgumentException($"The overlay transport binds only service endpoints (OverlayEndPoint), not {endpoint}.", nameof(endpoint));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var context = _context ??= CreateContext();
            OverlayListener bound;
            try
            {
                bound = await context.BindAsync(overlay.Service, cancellationToken).ConfigureAwait(false);
            }
            catch when (_listeners == 0)
            {
                await ReleaseContextAsync().ConfigureAwait(false);
                throw;
            }

            _listeners++;
            var listener = new OverlayConnectionListener(overlay, bound, this, _logger);
            _bindings.Add(listener);
            OverlayHostingLog.Bound(_logger, overlay.Service, context.IdentityName);
            return listener;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Called by a listener's DisposeAsync: forgets it, and closes the context after the last one.</summary>
    public async ValueTask ReleaseAsync(OverlayConnectionListener listener)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _bindings.Remove(listener);
            if (--_listeners == 0)
            {
                await ReleaseContextAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await ReleaseContextAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }

    private OverlayContext CreateContext()
    {
        if (_options.Context is { } shared)
        {
            return shared;
        }

        var identity = _options.Identity ?? (_ownedIdentity = OverlayIdentity.Load(_options.IdentityFile!));
        return OverlayContext.Create(identity, _options.ContextOptions, _loggerFactory);
    }

    private async ValueTask ReleaseContextAsync()
    {
        // A shared context belongs to whoever gave it; only a context made here is closed here.
        if (_context is { } context && !ReferenceEquals(context, _options.Context))
        {
            await context.DisposeAsync().ConfigureAwait(false);
        }

        _context = null;
        _ownedIdentity?.Dispose();
        _ownedIdentity = null;
    }
}
