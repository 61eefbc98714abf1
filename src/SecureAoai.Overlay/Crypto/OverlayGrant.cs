using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// A controller-signed statement that one identity's certificate may bind or dial one service until
/// a time: what lets the two ends of a dial trust each other without believing the router between them.
/// </summary>
/// <remarks>
/// <para>Wire format, version 1 (big-endian lengths), at most <see cref="MaxBytes"/> in all:</para>
/// <code>
/// [1]  format version (1)
/// [2]  signer certificate length S, then S bytes: the grant-signing certificate (DER), issued by
///      the overlay CA with the grant-signing usage (OverlayCertificateAuthority.GrantSigningOid)
/// [2]  claims length C, then C bytes: UTF-8 JSON {"kind":"bind"|"dial","service","identityId",
///      "identity","roles":[...],"thumbprint":SHA-256 of the holder's certificate DER (lower-case hex),
///      "issuedAt","expiresAt" (Unix seconds)}
/// [2]  signature length G, then G bytes: ECDSA P-256 / SHA-256 (IEEE P1363, r||s) by the signer's key
///      over "secureaoai-overlay-grant-v1", 0x00, the version byte and the claims bytes
/// </code>
/// <para>A grant is useless without the private key of the certificate it names: each end of a dial
/// proves that key in the end-to-end handshake. So a router may relay grants and even ask for other
/// identities' grants, but cannot forge, widen or use them.</para>
/// </remarks>
internal sealed record OverlayGrant(
    GrantKind Kind,
    string Service,
    string IdentityId,
    string IdentityName,
    IReadOnlyList<string> Roles,
    string Thumbprint,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>The largest encoded grant accepted or produced.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The wire format version this code writes and reads.</summary>
    public const byte FormatVersion = 1;

    private static readonly byte[] SignatureContext = Encoding.ASCII.GetBytes("secureaoai-overlay-grant-v1\0");

    /// <summary>How long the grant is valid, as issued.</summary>
    public TimeSpan Lifetime => ExpiresAt - IssuedAt;

    /// <summary>Encodes and signs the grant with <paramref name="signerKey"/>, whose certificate is <paramref name="signerCertificateDer"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> signerCertificateDer, ECDsa signerKey)
    {
        byte[] claims = JsonSerializer.SerializeToUtf8Bytes(GrantClaims.From(this), GrantJsonContext.Default.GrantClaims);
        byte[] signature = signerKey.SignData(SignedData(claims), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        int length = 1 + 2 + signerCertificateDer.Length + 2 + claims.Length + 2 + signature.Length;
        if (length > MaxBytes)
        {
            throw new InvalidOperationException($"A grant for '{IdentityName}' on '{Service}' would be {length} bytes; the limit is {MaxBytes}.");
        }

        byte[] grant = new byte[length];
        grant[0] = FormatVersion;
        int offset = Put(grant, 1, signerCertificateDer);
        offset = Put(grant, offset, claims);
        Put(grant, offset, signature);
        return grant;
    }

    /// <summary>The parts of an encoded grant, not yet verified; <see langword="null"/> with <paramref name="problem"/> when it is malformed.</summary>
    public static (byte[] SignerDer, byte[] Claims, byte[] Signature)? TrySplit(ReadOnlySpan<byte> grant, out string problem)
    {
        if (grant.Length is 0 or > MaxBytes)
        {
            problem = grant.Length == 0 ? "it is empty" : $"it is {grant.Length} bytes; the limit is {MaxBytes}";
            return null;
        }

        if (grant[0] != FormatVersion)
        {
            problem = $"it has format version {grant[0]}; this SDK reads version {FormatVersion}";
            return null;
        }

        int offset = 1;
        if (!TryTake(grant, ref offset, out var signer) || !TryTake(grant, ref offset, out var claims) || !TryTake(grant, ref offset, out var signature) || offset != grant.Length)
        {
            problem = "it is truncated or has the wrong length";
            return null;
        }

        problem = string.Empty;
        return (signer, claims, signature);
    }

    /// <summary>Whether <paramref name="signature"/> by <paramref name="signerKey"/> covers <paramref name="claims"/>.</summary>
    public static bool VerifySignature(ECDsa signerKey, byte[] claims, byte[] signature) =>
        signerKey.VerifyData(SignedData(claims), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Parses signed claims; <see langword="null"/> with <paramref name="problem"/> when they are not a well-formed grant.</summary>
    public static OverlayGrant? TryParseClaims(byte[] claims, out string problem)
    {
        GrantClaims? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(claims, GrantJsonContext.Default.GrantClaims);
        }
        catch (JsonException)
        {
            parsed = null;
        }

        var grant = parsed?.ToGrant();
        problem = grant is null ? "its claims are not a well-formed grant" : string.Empty;
        return grant;
    }

    private static byte[] SignedData(byte[] claims) => [.. SignatureContext, FormatVersion, .. claims];

    private static int Put(byte[] target, int offset, ReadOnlySpan<byte> part)
    {
        BinaryPrimitives.WriteUInt16BigEndian(target.AsSpan(offset), checked((ushort)part.Length));
        part.CopyTo(target.AsSpan(offset + 2));
        return offset + 2 + part.Length;
    }

    private static bool TryTake(ReadOnlySpan<byte> grant, ref int offset, out byte[] part)
    {
        part = [];
        if (grant.Length - offset < 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(grant[offset..]);
        if (length == 0 || grant.Length - offset - 2 < length)
        {
            return false;
        }

        part = grant.Slice(offset + 2, length).ToArray();
        offset += 2 + length;
        return true;
    }
}

/// <summary>The JSON claims of a grant, as signed.</summary>
internal sealed class GrantClaims
{
    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("service")]
    public string? Service { get; set; }

    [JsonPropertyName("identityId")]
    public string? IdentityId { get; set; }

    [JsonPropertyName("identity")]
    public string? Identity { get; set; }

    [JsonPropertyName("roles")]
    public List<string>? Roles { get; set; }

    [JsonPropertyName("thumbprint")]
    public string? Thumbprint { get; set; }

    [JsonPropertyName("issuedAt")]
    public long IssuedAt { get; set; }

    [JsonPropertyName("expiresAt")]
    public long ExpiresAt { get; set; }

    public static GrantClaims From(OverlayGrant grant) => new()
    {
        Kind = grant.Kind == GrantKind.Bind ? "bind" : "dial",
        Service = grant.Service,
        IdentityId = grant.IdentityId,
        Identity = grant.IdentityName,
        Roles = [.. grant.Roles],
        Thumbprint = grant.Thumbprint,
        IssuedAt = grant.IssuedAt.ToUnixTimeSeconds(),
        ExpiresAt = grant.ExpiresAt.ToUnixTimeSeconds(),
    };

    public OverlayGrant? ToGrant()
    {
        GrantKind? kind = Kind switch { "bind" => GrantKind.Bind, "dial" => GrantKind.Dial, _ => null };
        if (kind is null
            || !RoleExpressions.IsValidName(Service) || !RoleExpressions.IsValidName(Identity)
            || string.IsNullOrEmpty(IdentityId) || IdentityId.Length > RoleExpressions.MaxNameLength
            || Roles is null || Roles.Count > RoleExpressions.MaxRolesPerEntity || !Roles.All(RoleExpressions.IsValidName)
            || Thumbprint is not { Length: 64 } || !Thumbprint.All(char.IsAsciiHexDigitLower)
            || IssuedAt <= 0 || ExpiresAt <= IssuedAt || ExpiresAt > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return null;
        }

        return new OverlayGrant(kind.Value, Service!, IdentityId, Identity!, Roles, Thumbprint, DateTimeOffset.FromUnixTimeSeconds(IssuedAt), DateTimeOffset.FromUnixTimeSeconds(ExpiresAt));
    }
}

[JsonSerializable(typeof(GrantClaims))]
internal sealed partial class GrantJsonContext : JsonSerializerContext;
