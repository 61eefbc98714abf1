using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;

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
        _controller.ResolveIdentity(certificate) is { } identity ? new RouterCaller(identity.Name, identity.Roles) : null;

    public bool CanUseRouter(string identity) => _controller.CanUseRouter(identity, _routerName, []);

    public bool IsRevoked(string identity) => _controller.IsIdentityRevoked(identity);

    public bool CanDial(string identity, string service) => _controller.CanDial(identity, service);

    public bool CanBind(string identity, string service) => _controller.CanBind(identity, service);

    public void Dispose() => _controller.IdentityRevoked -= OnRevoked;

    private void OnRevoked(string identity) => IdentityRevoked?.Invoke(identity);
}
