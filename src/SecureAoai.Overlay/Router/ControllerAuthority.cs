using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Router;

/// <summary>The router's questions answered by the controller in the same process (one process runs both).</summary>
internal sealed class ControllerAuthority : IRouterAuthority, IDisposable
{
    private readonly OverlayController _controller;
    private readonly string _routerName;

    public ControllerAuthority(OverlayController controller, string routerName)
    {
        _controller = controller;
        _routerName = routerName;
        _controller.IdentityRevoked += OnRevoked;
    }

    public event Action<string>? IdentityRevoked;

    public X509Certificate2 CaCertificate => _controller.CertificateAuthority.Certificate;

    public RouterCaller? Authenticate(X509Certificate2 certificate) =>
        _controller.ResolveIdentity(certificate) is { } identity
            ? new RouterCaller(identity.Name, identity.Roles) { Thumbprint = identity.CertificateThumbprint! }
            : null;

    public bool CanUseRouter(string identity) => _controller.CanUseRouter(identity, _routerName, []);

    public bool IsRevoked(string identity) => _controller.IsIdentityRevoked(identity);

    public byte[]? IssueBindGrant(RouterCaller caller, string service) => _controller.IssueGrant(GrantKind.Bind, caller.Thumbprint, service);

    public byte[]? IssueDialGrant(RouterCaller caller, string service) => _controller.IssueGrant(GrantKind.Dial, caller.Thumbprint, service);

    public void Dispose() => _controller.IdentityRevoked -= OnRevoked;

    private void OnRevoked(string identity) => IdentityRevoked?.Invoke(identity);
}
