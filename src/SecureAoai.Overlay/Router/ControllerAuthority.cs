using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router's questions answered by the controller in the same process (one process runs both): every
/// answer is the controller's own, read at once, so there is nothing to cache and nothing to go stale.
/// It watches the controller's state version (a commit to <c>overlay.db</c> by this process or the CLI,
/// seen within <see cref="OverlayControllerOptions.DefaultStatePollInterval"/>; the same version the
/// controller's server watches) to raise <see cref="StateChanged"/>.
/// </summary>
internal sealed class ControllerAuthority : IRouterAuthority, IDisposable
{
    private readonly OverlayController _controller;
    private readonly string _routerName;
    private readonly ControllerStateVersion _state;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;

    /// <param name="controller">The controller.</param>
    /// <param name="routerName">The name this router has among the controller's routers (router policies select it by name and roles).</param>
    public ControllerAuthority(OverlayController controller, string routerName)
    {
        _controller = controller;
        _routerName = routerName;
        _controller.Administration.IdentityRevoked += OnRevoked;
        _state = controller.StateVersion(OverlayControllerOptions.DefaultStatePollInterval);
        _watch = WatchAsync(_stop.Token);
    }

    public event Action<string>? IdentityRevoked;

    public event Action? StateChanged;

    public X509Certificate2 CaCertificate => _controller.CertificateAuthority.Certificate;

    public ValueTask<RouterCaller?> AuthenticateAsync(X509Certificate2 certificate, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_controller.Authorizer.ResolveIdentity(certificate) is { } identity
            ? new RouterCaller(identity.Name, identity.Roles) { Thumbprint = identity.CertificateThumbprint! }
            : null);

    public bool CanUseRouter(string identity) => _controller.Authorizer.CanUseRouter(identity, _routerName);

    public bool IsRevoked(string identity) => _controller.Authorizer.IsIdentityRevoked(identity) || !CanUseRouter(identity);

    public ValueTask<byte[]?> IssueBindGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) => Issue(GrantKind.Bind, caller, service);

    public ValueTask<byte[]?> IssueDialGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) => Issue(GrantKind.Dial, caller, service);

    public void Dispose()
    {
        _controller.Administration.IdentityRevoked -= OnRevoked;
        _stop.Cancel();
        // The watch ends at once on cancellation (it does no I/O that can block), so waiting here is brief.
        // The state version is the controller's, shared with its server: it stops with the controller.
        _watch.GetAwaiter().GetResult();
        _stop.Dispose();
    }

    private ValueTask<byte[]?> Issue(GrantKind kind, RouterCaller caller, string service) =>
        ValueTask.FromResult(_controller.Authorizer.FindRouter(_routerName) is { } router
            ? _controller.Authorizer.IssueGrant(kind, caller.Thumbprint, service, router)
            : null);

    private void OnRevoked(string identity) => IdentityRevoked?.Invoke(identity);

    /// <summary>Raises <see cref="StateChanged"/> each time the controller's state version moves, until disposed.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var known = _state.Current;
        try
        {
            while (true)
            {
                var current = await _state.WaitForChangeAsync(known, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
                if (current != known)
                {
                    known = current;
                    StateChanged?.Invoke();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The router is stopping.
        }
    }
}
