using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// Kestrel's transport for <see cref="OverlayEndPoint"/>: binds the service on the app's
/// <see cref="IOverlayTransport"/>. That is the one in <see cref="OverlayHostingOptions.Transport"/>, or an
/// <see cref="OverlayContext"/> the app makes from its identity on the first bind and disposes with the last listener.
/// </summary>
internal sealed class OverlayConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly OverlayHostingOptions _options;
    private readonly OverlayBindings _bindings;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IOverlayTransport? _transport;
    private OverlayContext? _ownedContext;
    private OverlayIdentity? _ownedIdentity;
    private readonly Dictionary<string, OverlayServiceBinding> _services = new(StringComparer.Ordinal);
    private int _disposed;

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
            // Both lanes of a service (HTTP/1.1 and HTTP/2) share one bind at the router.
            if (!_services.TryGetValue(overlay.Service, out var binding))
            {
                var transport = _transport ??= CreateTransport();
                IOverlayListener bound;
                try
                {
                    bound = await transport.BindAsync(overlay.Service, cancellationToken).ConfigureAwait(false);
                }
                catch when (_services.Count == 0)
                {
                    await ReleaseTransportAsync().ConfigureAwait(false);
                    throw;
                }

                var sniff = _options.Protocols.HasFlag(HttpProtocols.Http1) && _options.Protocols.HasFlag(HttpProtocols.Http2);
                binding = new OverlayServiceBinding(bound, sniff, _logger);
                _services.Add(overlay.Service, binding);
                _bindings.Add(binding);
                binding.Start();
                OverlayHostingLog.Bound(_logger, overlay.Service, transport.IdentityName);
            }

            binding.Lanes++;
            return new OverlayConnectionListener(overlay, binding, this);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Called by a listener's DisposeAsync: the binding goes with its last lane, a transport the app made with the last binding.</summary>
    public async ValueTask ReleaseAsync(OverlayConnectionListener listener)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var binding = listener.Binding;
            if (--binding.Lanes == 0)
            {
                _services.Remove(binding.Service);
                _bindings.Remove(binding);
                await binding.DisposeAsync().ConfigureAwait(false);
            }

            if (_services.Count == 0)
            {
                await ReleaseTransportAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered under two service types, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var binding in _services.Values)
            {
                await binding.DisposeAsync().ConfigureAwait(false);
            }

            _services.Clear();
            await ReleaseTransportAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private IOverlayTransport CreateTransport()
    {
        if (_options.Transport is { } shared)
        {
            return shared;
        }

        var identity = _options.Identity ?? (_ownedIdentity = OverlayIdentity.Load(_options.IdentityFile!));
        return _ownedContext = OverlayContext.Create(identity, _options.ContextOptions, _loggerFactory);
    }

    private async ValueTask ReleaseTransportAsync()
    {
        // A shared transport belongs to whoever gave it; only a context made here is closed here.
        if (_ownedContext is { } context)
        {
            await context.DisposeAsync().ConfigureAwait(false);
        }

        _ownedContext = null;
        _transport = null;
        _ownedIdentity?.Dispose();
        _ownedIdentity = null;
    }
}
