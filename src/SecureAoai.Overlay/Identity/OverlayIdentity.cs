using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay;

/// <summary>
/// An enrolled overlay identity, loaded from its identity file: a JSON object
/// <c>{ "name", "controller": "host:port", "ca": PEM, "certificate": PEM, "key": PKCS#8 PEM }</c>
/// that must be readable by its owner only (mode 0600) because it holds the private key.
/// </summary>
/// <example><code>using var identity = OverlayIdentity.Load("chatapp.json");</code></example>
public sealed class OverlayIdentity : IDisposable
{
    /// <summary>The largest identity file read, in bytes.</summary>
    public const int MaxFileBytes = 64 * 1024;

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
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is readable by others, malformed, or its certificate does not match its key or CA.</exception>
    public static OverlayIdentity Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No identity file at '{path}'. Enroll first: 'secureaoai overlay enroll --jwt NAME.jwt --out {path}'.", path);
        }

        SecretFile.EnsureOwnerOnly(path);
        if (new FileInfo(path).Length > MaxFileBytes)
        {
            throw new InvalidDataException($"'{path}' is larger than {MaxFileBytes} bytes; it is not an identity file.");
        }

        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"'{path}' is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON ({ex.Message}); enroll again to recreate it.", ex);
        }

        string Field(string name) => json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new InvalidDataException($"'{path}' has no \"{name}\" string; an identity file has name, controller, ca, certificate and key.");

        var name = Field("name");
        var controller = Field("controller");
        if (!HostPort.TryParse(controller, out _, out _))
        {
            throw new InvalidDataException($"'{path}': \"controller\" '{controller}' is not HOST:PORT.");
        }

        X509Certificate2 ca;
        X509Certificate2 certificate;
        try
        {
            ca = X509Certificate2.CreateFromPem(Field("ca"));
            certificate = X509Certificate2.CreateFromPem(Field("certificate"), Field("key"));
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException($"'{path}': the ca, certificate or key PEM cannot be read, or the key is not the certificate's.", ex);
        }

        if (!OverlayTrust.Verify(certificate, ca))
        {
            ca.Dispose();
            certificate.Dispose();
            throw new InvalidDataException($"'{path}': the certificate was not issued by the file's CA or has expired; enroll again.");
        }

        return new OverlayIdentity(name, controller, ca, certificate);
    }

    /// <summary>Frees the certificates and key.</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        CaCertificate.Dispose();
    }

    /// <summary>Writes a new identity file with mode 0600; refuses to overwrite.</summary>
    internal static void Write(string path, string name, string controllerAddress, string caPem, string certificatePem, string keyPem)
    {
        var json = new JsonObject
        {
            ["name"] = name,
            ["controller"] = controllerAddress,
            ["ca"] = caPem,
            ["certificate"] = certificatePem,
            ["key"] = keyPem,
        };
        SecretFile.WriteNew(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
