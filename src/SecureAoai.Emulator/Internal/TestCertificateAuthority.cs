using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Emulator.Internal;

/// <summary>
/// The emulator's root CA: loaded from, or generated into, a folder, and used to issue the TLS
/// server certificate for <c>localhost</c>.
/// </summary>
internal sealed class TestCertificateAuthority : IDisposable
{
    internal const string CertificateFileName = "ca.pem";
    internal const string KeyFileName = "ca.key";
    private const string LockFileName = "ca.lock";
    private const string CaSubject = "CN=SecureAoai Emulator Test CA, O=SecureAoai (test use only)";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(365);
    private static readonly TimeSpan MinimumRemainingCaValidity = TimeSpan.FromDays(7);
    private static readonly TimeSpan ServerCertificateLifetime = TimeSpan.FromDays(3);
    private static readonly TimeSpan BackdateForClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly X509Certificate2 _caWithKey;

    private TestCertificateAuthority(X509Certificate2 caWithKey, string directory, bool ownsDirectory)
    {
        _caWithKey = caWithKey;
        PublicCertificate = X509CertificateLoader.LoadCertificate(caWithKey.RawData);
        Directory = directory;
        OwnsDirectory = ownsDirectory;
        CertificatePath = Path.Combine(directory, CertificateFileName);
    }

    /// <summary>The CA certificate without its private key.</summary>
    public X509Certificate2 PublicCertificate { get; }

    /// <summary>The PEM file of <see cref="PublicCertificate"/>.</summary>
    public string CertificatePath { get; }

    public string Directory { get; }

    /// <summary>Whether the folder is a temporary one this instance created (and deletes).</summary>
    public bool OwnsDirectory { get; }

    /// <summary>Loads a valid CA from <paramref name="directory"/> or generates one there.</summary>
    public static TestCertificateAuthority LoadOrCreate(string? directory)
    {
        bool ownsDirectory = directory is null;
        directory ??= System.IO.Directory.CreateTempSubdirectory("secureaoai-emulator-").FullName;
        System.IO.Directory.CreateDirectory(directory);

        // Several emulators (test processes, a sample and the exe) may share one folder: the lock
        // keeps one from reading a half-written pair while another generates it.
        using FileStream lockFile = AcquireLock(Path.Combine(directory, LockFileName));
        X509Certificate2 ca = TryLoad(directory) ?? Generate(directory);
        return new TestCertificateAuthority(ca, directory, ownsDirectory);
    }

    /// <summary>Issues a server certificate for localhost, 127.0.0.1, ::1 and <paramref name="extraHostNames"/>, signed by this CA.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> extraHostNames)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        foreach (string name in extraHostNames)
        {
            names.AddDnsName(name);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_caWithKey, true, false));

        DateTimeOffset notBefore = DateTimeOffset.UtcNow - BackdateForClockSkew;
        DateTimeOffset notAfter = DateTimeOffset.UtcNow + ServerCertificateLifetime;
        if (notAfter > _caWithKey.NotAfter)
        {
            notAfter = _caWithKey.NotAfter;
        }

        using X509Certificate2 signed = request.Create(_caWithKey, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        using X509Certificate2 withKey = signed.CopyWithPrivateKey(key);

        // A certificate joined to an ephemeral key cannot always serve TLS (SslStream needs a key
        // it can reopen on some platforms); a PKCS#12 round trip gives it a loadable one.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    public void Dispose()
    {
        _caWithKey.Dispose();
        PublicCertificate.Dispose();
        if (OwnsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless; failing dispose over it would not be.
            }
        }
    }

    private static FileStream AcquireLock(string path)
    {
        DateTime deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(LockRetryDelay);
            }
        }
    }

    private static X509Certificate2? TryLoad(string directory)
    {
        string certificatePath = Path.Combine(directory, CertificateFileName);
        string keyPath = Path.Combine(directory, KeyFileName);
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return null;
        }

        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException)
        {
            return null;
        }

        bool isCa = ca.Extensions.OfType<X509BasicConstraintsExtension>().Any(e => e.CertificateAuthority);
        bool fresh = ca.NotBefore <= DateTime.Now && ca.NotAfter - DateTime.Now > MinimumRemainingCaValidity;
        if (isCa && fresh && ca.HasPrivateKey)
        {
            return ca;
        }

        ca.Dispose();
        return null;
    }

    private static X509Certificate2 Generate(string directory)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(CaSubject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow - BackdateForClockSkew, DateTimeOffset.UtcNow + CaLifetime);

        WriteOwnerOnly(Path.Combine(directory, KeyFileName), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, CertificateFileName), ca.ExportCertificatePem());
        return ca;
    }

    private static void WriteOwnerOnly(string path, string contents)
    {
        // Delete first: a rewrite of an existing file would keep that file's (maybe wider) mode.
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, options);
        writer.Write(contents);
    }
}
