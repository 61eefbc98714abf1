using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The overlay's own root: an ECDSA P-256 key and a self-signed certificate kept as
/// <c>ca.pem</c> and <c>ca.key</c> (PKCS#8, mode 0600) in the overlay directory. It issues
/// identity client certificates, router and controller server certificates and grant-signer
/// certificates, and decides whether a presented certificate is one of its own. The key is read from
/// disk only when something is signed (<see cref="SigningKey"/>), so checking certificates or
/// administering policies never opens <c>ca.key</c>.
/// </summary>
internal sealed class OverlayCertificateAuthority : IDisposable
{
    public const string CertificateFileName = "ca.pem";
    public const string KeyFileName = "ca.key";
    public const string IdentityUriPrefix = "urn:secureaoai:identity:";
    public const string RouterUriPrefix = "urn:secureaoai:router:";
    public const string GrantSignerUriPrefix = "urn:secureaoai:grant-signer:";

    /// <summary>The name the controller's TLS certificate carries, and no router's or identity's: a party that has it is the controller.</summary>
    public const string ControllerUri = "urn:secureaoai:controller";

    public static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan IdentityCertificateLifetime = TimeSpan.FromDays(365);
    public static readonly TimeSpan ServerCertificateLifetime = TimeSpan.FromDays(365);

    // Certificates are back-dated a little so a peer whose clock runs slightly behind accepts them.
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// The extended key usage of the controller's grant-signing certificates, and of no other
    /// certificate: a UUID-based OID (ITU-T X.667, arc 2.25) so it needs no registration.
    /// </summary>
    public const string GrantSigningOid = "2.25.179968197808410328655001007696989458779";

    private readonly Lock _keyGate = new();
    private readonly string? _keyPath;
    private readonly TimeProvider _time;
    private ECDsa? _key;

    private OverlayCertificateAuthority(X509Certificate2 certificate, ECDsa? key, string? keyPath, TimeProvider time)
    {
        Certificate = certificate;
        _key = key;
        _keyPath = keyPath;
        _time = time;
        Fingerprint = ComputeFingerprint(certificate);
    }

    /// <summary>The root certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the root's DER encoding, lower-case hex.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// The signing key, read from <c>ca.key</c> (and checked against <c>ca.pem</c>) the first time it is
    /// needed. Never leaves the process.
    /// </summary>
    /// <exception cref="InvalidDataException">The key file is readable by others or is not the certificate's key.</exception>
    internal ECDsa SigningKey
    {
        get
        {
            lock (_keyGate)
            {
                return _key ??= LoadKey(_keyPath!, Certificate);
            }
        }
    }

    public static string ComputeFingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>Creates a new root in <paramref name="directory"/>; refuses to overwrite an existing one.</summary>
    public static OverlayCertificateAuthority Create(string directory, string overlayName, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(time);
        var certPath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        if (File.Exists(certPath) || File.Exists(keyPath))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.AlreadyInitialized,
                $"An overlay CA already exists in '{directory}'; refusing to overwrite it. Initialize the new overlay in another directory.", "directory", directory);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={overlayName} overlay CA, O=SecureAoai"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var withKey = request.CreateSelfSigned(now - ClockSkewAllowance, now + RootLifetime);
        var certificate = X509CertificateLoader.LoadCertificate(withKey.RawData);

        SecretFile.WriteNew(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        return new OverlayCertificateAuthority(certificate, key, keyPath, time);
    }

    /// <summary>
    /// Loads the root's certificate from <paramref name="directory"/>; its key is read when first
    /// needed, or now when <paramref name="loadKey"/> (a controller that will sign checks it at start).
    /// </summary>
    public static OverlayCertificateAuthority Load(string directory, TimeProvider time, bool loadKey = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(time);
        var certPath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        if (!File.Exists(certPath) || !File.Exists(keyPath))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.NotInitialized,
                $"No overlay CA in '{directory}' (expected {CertificateFileName} and {KeyFileName}). Initialize an overlay there first (OverlayAdministration.Initialize), or open the directory that holds one.", "directory", directory);
        }

        var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        if (!loadKey)
        {
            return new OverlayCertificateAuthority(certificate, null, keyPath, time);
        }

        try
        {
            return new OverlayCertificateAuthority(certificate, LoadKey(keyPath, certificate), keyPath, time);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    private static ECDsa LoadKey(string keyPath, X509Certificate2 certificate)
    {
        SecretFile.EnsureOwnerOnly(keyPath);
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        using var check = certificate.GetECDsaPublicKey() ?? throw new InvalidDataException($"The overlay CA certificate beside '{keyPath}' does not hold an ECDSA key.");
        if (!check.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            key.Dispose();
            throw new InvalidDataException($"'{keyPath}' is not the key of the overlay CA certificate beside it.");
        }

        return key;
    }

    /// <summary>Issues an identity's client certificate for the key in a PEM CSR (whose signature is checked; its subject is ignored).</summary>
    public X509Certificate2 IssueIdentityCertificate(string identityId, string identityName, string csrPem)
    {
        return IssueIdentityCertificate(identityId, identityName, ReadCsr(csrPem));
    }

    /// <summary>Issues an identity's client certificate (CN = name, SAN URI urn:secureaoai:identity:ID, EKU clientAuth).</summary>
    public X509Certificate2 IssueIdentityCertificate(string identityId, string identityName, PublicKey publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(identityId);
        ArgumentException.ThrowIfNullOrEmpty(identityName);
        ArgumentNullException.ThrowIfNull(publicKey);
        RequireP256(publicKey);
        var request = new CertificateRequest(SubjectFor(identityName), publicKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(IdentityUriPrefix + identityId));
        AddLeafExtensions(request, san, [ClientAuthOid]);
        return Sign(request, IdentityCertificateLifetime);
    }

    /// <summary>
    /// Issues a server certificate for a router that runs in the controller's process (EKU serverAuth +
    /// clientAuth, SAN DNS names, IPs and URI urn:secureaoai:router:NAME) with a fresh key; the result
    /// carries its private key.
    /// </summary>
    public X509Certificate2 IssueServerCertificate(string name, IEnumerable<string> dnsNames, IEnumerable<IPAddress> ipAddresses) =>
        IssueWithFreshKey(name, dnsNames, ipAddresses, RouterUriPrefix + Uri.EscapeDataString(name), [ServerAuthOid, ClientAuthOid]);

    /// <summary>
    /// Issues the controller's TLS certificate (EKU serverAuth, SAN DNS names, IPs and URI
    /// <see cref="ControllerUri"/>) with a fresh key; the result carries its private key. Parties talking
    /// to the controller require that URI, so no router certificate passes for the controller.
    /// </summary>
    public X509Certificate2 IssueControllerCertificate(IEnumerable<string> dnsNames, IEnumerable<IPAddress> ipAddresses) =>
        IssueWithFreshKey("controller", dnsNames, ipAddresses, ControllerUri, [ServerAuthOid]);

    /// <summary>
    /// Issues an enrolled router's certificate for the key in a PEM CSR: CN = name, SAN the one host it
    /// serves (an IP address or a DNS name) and URI urn:secureaoai:router:ID, EKU serverAuth (for the
    /// parties that connect to it) and clientAuth (for its calls to the controller). It has no identity
    /// name, so it never passes for an identity's certificate.
    /// </summary>
    /// <exception cref="ArgumentException">The CSR is malformed or its key is not P-256, or the host is not an IP address or DNS name.</exception>
    public X509Certificate2 IssueRouterCertificate(string routerId, string routerName, string csrPem, string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(routerId);
        ArgumentException.ThrowIfNullOrEmpty(routerName);
        ArgumentException.ThrowIfNullOrEmpty(host);
        var publicKey = ReadCsr(csrPem);
        RequireP256(publicKey);
        var request = new CertificateRequest(SubjectFor(routerName), publicKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host, out var ip))
        {
            san.AddIpAddress(ip);
        }
        else if (Uri.CheckHostName(host) == UriHostNameType.Dns)
        {
            san.AddDnsName(host);
        }
        else
        {
            throw new ArgumentException($"The router's host '{host}' is not an IP address or a DNS name.", nameof(host));
        }

        san.AddUri(new Uri(RouterUriPrefix + routerId));
        AddLeafExtensions(request, san, [ServerAuthOid, ClientAuthOid]);
        return Sign(request, ServerCertificateLifetime);
    }

    /// <summary>
    /// Issues a certificate for the controller's grant-signing key (EKU <see cref="GrantSigningOid"/>
    /// only, SAN URI urn:secureaoai:grant-signer:NAME), valid for <paramref name="lifetime"/>.
    /// Parties verify bind and dial grants with it, having chained it to this root.
    /// </summary>
    public X509Certificate2 IssueGrantSignerCertificate(string name, ECDsa key, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(key);
        var request = new CertificateRequest(SubjectFor(name), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(GrantSignerUriPrefix + Uri.EscapeDataString(name)));
        AddLeafExtensions(request, san, [GrantSigningOid]);
        return Sign(request, lifetime);
    }

    /// <summary>True when <paramref name="certificate"/> chains to this root, is in its validity period and allows <paramref name="usageOid"/>.</summary>
    public bool Issued(X509Certificate2 certificate, string usageOid = ClientAuthOid)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(Certificate.RawData);
    }

    public void Dispose()
    {
        lock (_keyGate)
        {
            _key?.Dispose();
        }

        Certificate.Dispose();
    }

    /// <summary>The public key of a PEM CSR whose signature verifies (its subject is ignored).</summary>
    private static PublicKey ReadCsr(string csrPem)
    {
        ArgumentException.ThrowIfNullOrEmpty(csrPem);
        try
        {
            return CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default).PublicKey;
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException("The certificate signing request is not a valid PEM CSR with a correct signature.", nameof(csrPem), ex);
        }
    }

    private X509Certificate2 IssueWithFreshKey(string name, IEnumerable<string> dnsNames, IEnumerable<IPAddress> ipAddresses, string uri, string[] usages)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(ipAddresses);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(SubjectFor(name), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (var ip in ipAddresses)
        {
            san.AddIpAddress(ip);
        }

        san.AddUri(new Uri(uri));
        AddLeafExtensions(request, san, usages);
        using var certificate = Sign(request, ServerCertificateLifetime);
        using var withKey = certificate.CopyWithPrivateKey(key);
        // Re-import so the key is not tied to the 'using' instance above.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static X500DistinguishedName SubjectFor(string name)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        return builder.Build();
    }

    private static void RequireP256(PublicKey publicKey)
    {
        using var ec = publicKey.GetECDsaPublicKey()
            ?? throw new ArgumentException("The enrollee's key must be ECDSA P-256.", nameof(publicKey));
        if (ec.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException("The enrollee's key must be ECDSA P-256.", nameof(publicKey));
        }
    }

    private void AddLeafExtensions(CertificateRequest request, SubjectAlternativeNameBuilder san, string[] usages)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
    }

    private X509Certificate2 Sign(CertificateRequest request, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        var notAfter = now + lifetime;
        if (notAfter > Certificate.NotAfter.ToUniversalTime())
        {
            notAfter = Certificate.NotAfter.ToUniversalTime();
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(SigningKey), now - ClockSkewAllowance, notAfter, serial);
    }
}
