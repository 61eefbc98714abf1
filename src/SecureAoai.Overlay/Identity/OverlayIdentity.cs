using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>
/// An enrolled overlay identity, loaded from its identity file: a JSON object
/// <c>{ "kind": "identity", "name", "controller": "host:port", "ca": PEM, "certificate": PEM, "key": PKCS#8 PEM }</c>
/// that must be readable by its owner only (mode 0600) because it holds the private key.
/// </summary>
/// <example><code>using var identity = OverlayIdentity.Load("chatapp.json");</code></example>
public sealed class OverlayIdentity : IDisposable
{
    /// <summary>The largest identity file read, in bytes.</summary>
    public const int MaxFileBytes = IdentityFile.MaxFileBytes;

    private OverlayIdentity(string name, string controllerAddress, X509Certificate2 caCertificate, X509Certificate2 certificate)
    {
        Name = name;
        ControllerAddress = controllerAddress;
        CaCertificate = caCertificate;
        Certificate = certificate;
    }

    /// <summary>The identity's name (also the certificate's CN).</summary>
    public string Name { get; }

    /// <summary>The controller's <c>host:port</c>.</summary>
    public string ControllerAddress { get; }

    /// <summary>The overlay CA certificate, the only root this identity trusts.</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The identity's client certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Loads and checks an identity file.</summary>
    /// <param name="path">The identity file (mode 0600).</param>
    /// <returns>The identity; dispose it when done.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>: enroll first (<see cref="EnrollmentClient.EnrollAsync"/>).</exception>
    /// <exception cref="InvalidDataException">The file is readable by others, malformed, a router's, or its certificate does not match its key or CA.</exception>
    public static OverlayIdentity Load(string path)
    {
        var contents = IdentityFile.Read(path, IdentityFile.IdentityKind, OverlayCertificateAuthority.ClientAuthOid);
        return new OverlayIdentity(contents.Field("name"), contents.Field("controller"), contents.CaCertificate, contents.Certificate);
    }

    /// <summary>Frees the certificates and key.</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        CaCertificate.Dispose();
    }

    /// <summary>Writes a new identity file with mode 0600; refuses to overwrite.</summary>
    internal static void Write(string path, string name, string controllerAddress, string caPem, string certificatePem, string keyPem) =>
        IdentityFile.Write(path, IdentityFile.IdentityKind, name, controllerAddress, caPem, certificatePem, keyPem);
}
