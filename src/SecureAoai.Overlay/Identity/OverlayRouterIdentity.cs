using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>
/// An enrolled router's identity, loaded from the file its enrollment wrote
/// (<see cref="EnrollmentClient.EnrollRouterAsync"/>): its name, the controller's address, the address
/// it listens on, the overlay CA, and its server certificate with its key. That file is all a router
/// holds: never the CA key, and never a grant-signing key.
/// </summary>
/// <example><code>using var router = OverlayRouterIdentity.Load("r1.json");</code></example>
public sealed class OverlayRouterIdentity : IDisposable
{
    private OverlayRouterIdentity(string name, string controllerAddress, string listenAddress, X509Certificate2 caCertificate, X509Certificate2 certificate)
    {
        Name = name;
        ControllerAddress = controllerAddress;
        ListenAddress = listenAddress;
        CaCertificate = caCertificate;
        Certificate = certificate;
    }

    /// <summary>Gets the router's name (also its certificate's common name).</summary>
    public string Name { get; }

    /// <summary>Gets the controller's <c>HOST:PORT</c>.</summary>
    public string ControllerAddress { get; }

    /// <summary>Gets where the router listens and identities reach it, <c>HOST:PORT</c>: its certificate is for that host.</summary>
    public string ListenAddress { get; }

    /// <summary>Gets the overlay CA certificate, the only root the router trusts.</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>Gets the router's certificate (server and client authentication), with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Loads and checks a router's identity file.</summary>
    /// <param name="path">The file (mode 0600).</param>
    /// <returns>The router's identity; dispose it when done.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>: enroll the router first.</exception>
    /// <exception cref="InvalidDataException">The file is readable by others, malformed, an identity's, or its certificate is not a router's from its CA.</exception>
    public static OverlayRouterIdentity Load(string path)
    {
        var contents = IdentityFile.Read(path, IdentityFile.RouterKind, OverlayCertificateAuthority.ServerAuthOid);
        var listen = contents.Field("listen");
        if (!HostPort.TryParse(listen, out _, out _))
        {
            contents.CaCertificate.Dispose();
            contents.Certificate.Dispose();
            throw new InvalidDataException($"'{path}': \"listen\" '{listen}' is not HOST:PORT.");
        }

        return new OverlayRouterIdentity(contents.Field("name"), contents.Field("controller"), listen, contents.CaCertificate, contents.Certificate);
    }

    /// <summary>Frees the certificates and key.</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        CaCertificate.Dispose();
    }

    /// <summary>Writes a new router identity file with mode 0600; refuses to overwrite.</summary>
    internal static void Write(string path, string name, string controllerAddress, string listenAddress, string caPem, string certificatePem, string keyPem) =>
        IdentityFile.Write(path, IdentityFile.RouterKind, name, controllerAddress, caPem, certificatePem, keyPem, listenAddress);
}
