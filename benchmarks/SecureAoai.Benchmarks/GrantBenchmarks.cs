using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Benchmarks;

/// <summary>
/// What grants add per stream: the controller issuing one (reused while young), and an SDK end
/// checking one, first (a signature verification) and again (the cached grant).
/// </summary>
public class GrantBenchmarks
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "secureaoai-bench-" + Guid.NewGuid().ToString("N"));
    private EmbeddedOverlay _overlay = null!;
    private OverlayIdentity _identity = null!;
    private GrantVerifier _verifier = null!;
    private string _thumbprint = null!;
    private byte[] _grant = null!;
    private (byte[] SignerDer, byte[] Claims, byte[] Signature) _parts;
    private ECDsa _signerKey = null!;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _signerKey.Dispose();
        _identity.Dispose();
        _overlay.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "verify a grant's signature (first sight)")]
    public bool VerifySignature() => OverlayGrant.VerifySignature(_signerKey, _parts.Claims, _parts.Signature);

    [Benchmark(Description = "verify a grant seen before (cached)")]
    public object VerifyCached() => _verifier.Verify(_grant, GrantKind.Dial, "echo");

    [Benchmark(Description = "issue a dial grant (reused while young)")]
    public object? IssueReused() => _overlay.Controller.Authorizer.IssueGrant(GrantKind.Dial, _thumbprint, "echo");

    private async Task SetupAsync()
    {
        _overlay = await EmbeddedOverlay.StartAsync(_directory);
        _overlay.CreateService("echo", "bench");
        _overlay.AllowDial("dial", ["#dialers"], ["#bench"]);
        _identity = await _overlay.EnrollAsync("dialer", "dialers");
        _thumbprint = OverlayCertificateAuthority.ComputeFingerprint(_identity.Certificate);
        _grant = _overlay.Controller.Authorizer.IssueGrant(GrantKind.Dial, _thumbprint, "echo")!;
        _verifier = new GrantVerifier(_overlay.Controller.CertificateAuthority.Certificate, TimeProvider.System);
        _verifier.Verify(_grant, GrantKind.Dial, "echo");
        _parts = OverlayGrant.TrySplit(_grant, out _)!.Value;
        using var signer = X509CertificateLoader.LoadCertificate(_parts.SignerDer);
        _signerKey = signer.GetECDsaPublicKey()!;
    }
}
