using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay;

/// <summary>
/// The file an enrolled party keeps: a JSON object <c>{ "kind", "name", "controller": "host:port",
/// "ca": PEM, "certificate": PEM, "key": PKCS#8 PEM }</c> (a router's adds <c>"listen"</c>), readable
/// by its owner only (mode 0600) because it holds the private key. <c>kind</c> is <c>"router"</c> for a
/// router; an identity's file has <c>"identity"</c> or, written by earlier versions, none.
/// </summary>
internal static class IdentityFile
{
    /// <summary>The largest identity file read, in bytes.</summary>
    public const int MaxFileBytes = 64 * 1024;

    public const string IdentityKind = "identity";
    public const string RouterKind = "router";

    /// <summary>Reads and checks a file of <paramref name="kind"/>: its mode, size, fields, and that its certificate has its key and chains to its CA with <paramref name="usageOid"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is readable by others, malformed, of the other kind, or its certificate does not match its key or CA.</exception>
    public static Contents Read(string path, string kind, string usageOid)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No {kind} identity file at '{path}'; enroll first to create it.", path);
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

        var found = json["kind"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : IdentityKind;
        if (found != kind)
        {
            throw new InvalidDataException(kind == RouterKind
                ? $"'{path}' is an identity's file, not a router's; a router runs from the file its router enrollment wrote."
                : $"'{path}' is a router's identity file; run a router with it (OverlayRouterHostOptions.IdentityFile), and give an identity's file to an SDK.");
        }

        var contents = new Contents(path, json);
        var controller = contents.Field("controller");
        if (!HostPort.TryParse(controller, out _, out _))
        {
            throw new InvalidDataException($"'{path}': \"controller\" '{controller}' is not HOST:PORT.");
        }

        X509Certificate2 ca;
        X509Certificate2 certificate;
        try
        {
            ca = X509Certificate2.CreateFromPem(contents.Field("ca"));
            certificate = X509Certificate2.CreateFromPem(contents.Field("certificate"), contents.Field("key"));
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException($"'{path}': the ca, certificate or key PEM cannot be read, or the key is not the certificate's.", ex);
        }

        if (!OverlayTrust.Verify(certificate, ca, usageOid))
        {
            ca.Dispose();
            certificate.Dispose();
            throw new InvalidDataException($"'{path}': the certificate was not issued by the file's CA for a {kind}, or has expired; enroll again.");
        }

        contents.CaCertificate = ca;
        contents.Certificate = certificate;
        return contents;
    }

    /// <summary>Writes a new file with mode 0600; refuses to overwrite.</summary>
    public static void Write(string path, string kind, string name, string controllerAddress, string caPem, string certificatePem, string keyPem, string? listenAddress = null)
    {
        var json = new JsonObject { ["kind"] = kind, ["name"] = name, ["controller"] = controllerAddress };
        if (listenAddress is not null)
        {
            json["listen"] = listenAddress;
        }

        json["ca"] = caPem;
        json["certificate"] = certificatePem;
        json["key"] = keyPem;
        SecretFile.WriteNew(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>What a file holds, once read and checked.</summary>
    internal sealed class Contents(string path, JsonObject json)
    {
        public X509Certificate2 CaCertificate { get; set; } = null!;

        public X509Certificate2 Certificate { get; set; } = null!;

        /// <summary>A required string field.</summary>
        /// <exception cref="InvalidDataException">It is missing or empty.</exception>
        public string Field(string name) => json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new InvalidDataException($"'{path}' has no \"{name}\" string; an identity file has name, controller, ca, certificate and key (and a router's, listen).");
    }
}
