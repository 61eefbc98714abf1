using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router's questions answered by the controller in the same process (one process runs both): every
/// answer is the controller's own, read at once, so there is nothing to cache and nothing to go stale.
/// </summary>
internal sealed class ControllerAuthority : IRouterAuthority, IDisposable
{
    private readonly OverlayController _controller;
    private readonly string _routerName;

    /// <param name="controller">The controller.</param>
    /// <param name="routerName">The name this router has among the controller's routers (router policies select it by name and roles).</param>
    public ControllerAuthority(OverlayController controller, string routerName)
    {
        _controller = controller;
        _routerName = routerName;
        _controller.Administration.IdentityRevoked += OnRevoked;
    }

    public event Action<string>? IdentityRevoked;

    public X509Certificate2 CaCertificate => _controller.CertificateAuthority.Certificate;

    public ValueTask<RouterCaller?> AuthenticateAsync(X509Certificate2 certificate, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_controller.Authorizer.ResolveIdentity(certificate) is { } identity
            ? new RouterCaller(identity.Name, identity.Roles) { Thumbprint = identity.CertificateThumbprint! }
            : null);

    public bool CanUseRouter(string identity) => _controller.Authorizer.CanUseRouter(identity, _routerName);

    public bool IsRevoked(string identity) => _controller.Authorizer.IsIdentityRevoked(identity) || !CanUseRouter(identity);

    public ValueTask<byte[]?> IssueBindGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) => Issue(GrantKind.Bind, caller, service);

    public ValueTask<byte[]?> IssueDialGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) => Issue(GrantKind.Dial, caller, service);

    public void Dispose() => _controller.Administration.IdentityRevoked -= OnRevoked;

    private ValueTask<byte[]?> Issue(GrantKind kind, RouterCaller caller, string service) =>
        ValueTask.FromResult(_controller.Authorizer.FindRouter(_routerName) is { } router
            ? _controller.Authorizer.IssueGrant(kind, caller.Thumbprint, service, router)
            : null);

    private void OnRevoked(string identity) => IdentityRevoked?.Invoke(identity);
}
