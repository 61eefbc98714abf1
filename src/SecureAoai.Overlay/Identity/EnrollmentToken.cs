using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>
/// A one-time enrollment token: a JWT signed ES256 with the overlay CA's key, carrying
/// <c>iss</c> = controller address (<c>host:port</c>), <c>sub</c> = the identity's or router's id,
/// <c>jti</c>, <c>exp</c>, <c>em</c> = <c>"ott"</c> (an identity) or <c>"erott"</c> (a router, as
/// OpenZiti names its edge-router tokens) and <c>ca_sha256</c> = the CA fingerprint. The enrollee
/// reads it without verifying (it does not yet trust the CA) and pins the controller to that
/// fingerprint; the controller verifies signature, issuer, expiry and single use.
/// </summary>
public sealed class EnrollmentToken
{
    /// <summary>The <c>em</c> (enrollment method) claim value of an identity's one-time token.</summary>
    public const string OneTimeTokenMethod = "ott";

    /// <summary>The <c>em</c> (enrollment method) claim value of a router's one-time token.</summary>
    public const string RouterOneTimeTokenMethod = "erott";

    /// <summary>How long a token is valid. The default value is 24 hours.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);

    /// <summary>The longest token a size check lets through, in characters.</summary>
    internal const int MaxTokenLength = 8 * 1024;

    internal const string MethodClaim = "em";
    internal const string FingerprintClaim = "ca_sha256";

    private EnrollmentToken(string method, string controllerAddress, string identityId, string tokenId, DateTimeOffset expiresAt, string caFingerprint)
    {
        Method = method;
        ControllerAddress = controllerAddress;
        IdentityId = identityId;
        TokenId = tokenId;
        ExpiresAt = expiresAt;
        CaFingerprint = caFingerprint;
    }

    /// <summary>Gets the enrollment method (the <c>em</c> claim): <see cref="OneTimeTokenMethod"/> or <see cref="RouterOneTimeTokenMethod"/>.</summary>
    public string Method { get; }

    /// <summary>Gets a value indicating whether the token enrolls a router rather than an identity.</summary>
    public bool IsForRouter => Method == RouterOneTimeTokenMethod;

    /// <summary>The controller's <c>host:port</c> (the <c>iss</c> claim).</summary>
    public string ControllerAddress { get; }

    /// <summary>The identity (or router) the token enrolls (the <c>sub</c> claim).</summary>
    public string IdentityId { get; }

    /// <summary>The token's unique id (the <c>jti</c> claim).</summary>
    public string TokenId { get; }

    /// <summary>When the token stops being accepted (the <c>exp</c> claim).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>SHA-256 of the overlay CA certificate's DER, lower-case hex.</summary>
    public string CaFingerprint { get; }

    /// <summary>
    /// Reads the claims of <paramref name="jwt"/> without verifying its signature (the enrollee
    /// cannot yet: it learns the CA from the controller, pinned to <see cref="CaFingerprint"/>).
    /// </summary>
    /// <exception cref="OverlayEnrollmentException">The token is malformed or misses a claim.</exception>
    public static EnrollmentToken Parse(string jwt)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        jwt = jwt.Trim();
        if (jwt.Length == 0 || jwt.Length > MaxTokenLength)
        {
            throw Invalid("it is empty or too long");
        }

        JsonWebToken token;
        try
        {
            token = new JsonWebToken(jwt);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException)
        {
            throw Invalid("it is not a JWT", ex);
        }

        return FromToken(token);
    }

    /// <summary>
    /// Writes a token to a new file that only its owner can read (mode 0600 on Unix), as the token is a
    /// secret until it is used.
    /// </summary>
    /// <param name="jwt">The token.</param>
    /// <param name="path">The file to create; it must not exist.</param>
    /// <exception cref="InvalidOperationException">The file exists; nothing is overwritten.</exception>
    public static void Save(string jwt, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(jwt);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SecretFile.WriteNew(path, jwt);
    }

    internal static string Create(OverlayCertificateAuthority authority, string method, string controllerAddress, string subjectId, DateTimeOffset now, TimeSpan lifetime, out string tokenId)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (lifetime <= TimeSpan.Zero)
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue,
                $"An enrollment token's lifetime must be more than zero, not {lifetime}.", nameof(lifetime), lifetime.ToString());
        }

        tokenId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = controllerAddress,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subjectId,
                [JwtRegisteredClaimNames.Jti] = tokenId,
                [MethodClaim] = method,
                [FingerprintClaim] = authority.Fingerprint,
            },
            SigningCredentials = new SigningCredentials(
                new ECDsaSecurityKey(authority.SigningKey) { CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
                SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>Verifies signature (ES256 by the CA), issuer, method, fingerprint and expiry at <paramref name="now"/>; returns the token or the reason it was refused.</summary>
    internal static async Task<(EnrollmentToken? Token, string? Error)> ValidateAsync(string jwt, OverlayCertificateAuthority authority, string expectedIssuer, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(jwt) || jwt.Length > MaxTokenLength)
        {
            return (null, "The enrollment token is missing or too long.");
        }

        using var publicKey = authority.Certificate.GetECDsaPublicKey()!;
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = expectedIssuer,
            ValidateAudience = false,
            // Expiry is checked below against the controller's TimeProvider, without clock skew.
            ValidateLifetime = false,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            // IdentityModel caches signature providers by key id; a cached provider would outlive
            // (and then use) the public key disposed at the end of this call, failing the next token.
            IssuerSigningKey = new ECDsaSecurityKey(publicKey) { CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
            TryAllIssuerSigningKeys = true,
        };
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(jwt, parameters).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken validated)
        {
            return (null, "The enrollment token's signature or issuer is not valid for this overlay; it was issued by another controller or altered.");
        }

        EnrollmentToken token;
        try
        {
            token = FromToken(validated);
        }
        catch (OverlayEnrollmentException ex)
        {
            return (null, ex.Message);
        }

        if (token.CaFingerprint != authority.Fingerprint)
        {
            return (null, "The enrollment token names another overlay CA.");
        }

        return token.ExpiresAt <= now ? (null, "The enrollment token has expired. Ask the administrator for a new one.") : (token, null);
    }

    private static EnrollmentToken FromToken(JsonWebToken token)
    {
        if (!token.TryGetPayloadValue<string>(MethodClaim, out var method) || method is not (OneTimeTokenMethod or RouterOneTimeTokenMethod))
        {
            throw Invalid($"its '{MethodClaim}' claim is not '{OneTimeTokenMethod}' or '{RouterOneTimeTokenMethod}'");
        }

        if (!token.TryGetPayloadValue<string>(FingerprintClaim, out var fingerprint) || fingerprint.Length != 64)
        {
            throw Invalid($"it has no '{FingerprintClaim}' claim");
        }

        if (!HostPort.TryParse(token.Issuer, out _, out _) || string.IsNullOrEmpty(token.Subject) || string.IsNullOrEmpty(token.Id) || token.ValidTo == DateTime.MinValue)
        {
            throw Invalid("it lacks iss (HOST:PORT), sub, jti or exp");
        }

        return new EnrollmentToken(method, token.Issuer, token.Subject, token.Id, new DateTimeOffset(token.ValidTo, TimeSpan.Zero), fingerprint);
    }

    private static OverlayEnrollmentException Invalid(string why, Exception? inner = null) =>
        new(OverlayEnrollmentFailure.InvalidToken, $"The enrollment token is not valid: {why}. Use the token exactly as the overlay's administrator created it.", inner);
}
