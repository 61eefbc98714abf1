using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SecureAoai.Emulator.Internal;

/// <summary>
/// Holds the emulator's keys: the RSA key that signs access tokens (playing Entra ID) and one RSA
/// key per federation issuer (playing a Kubernetes OIDC issuer); creates and validates tokens.
/// </summary>
internal sealed class TokenAuthority : IDisposable
{
    public const string OpenAIUserRole = "Cognitive Services OpenAI User";
    public const string CognitiveServicesAudience = "https://cognitiveservices.azure.com";
    public const string AiFoundryAudience = "https://ai.azure.com";
    private const int RsaKeySizeBits = 2048;

    /// <summary>The emulator's own claim numbering access tokens in issue order, so revocation is exact.</summary>
    private const string SerialClaim = "xms_emu_serial";

    // Tokens issued before their start time would be refused by zero-skew validation; a token made
    // already expired (for tests) still needs nbf <= exp, so it starts this long before it ends.
    private static readonly TimeSpan ExpiredTokenValidity = TimeSpan.FromMinutes(5);

    private readonly RSA _accessTokenRsa = RSA.Create(RsaKeySizeBits);
    private readonly SigningCredentials _accessTokenCredentials;
    private readonly ConcurrentDictionary<string, Lazy<RsaSecurityKey>> _issuerKeys = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private int _tokensIssued;
    private long _lastSerial;
    private long _revokedThrough;

    public TokenAuthority(string tenantId)
    {
        TenantId = tenantId;
        Issuer = $"https://sts.windows.net/{tenantId}/";
        AccessTokenKey = new RsaSecurityKey(_accessTokenRsa) { KeyId = NewKeyId() };
        _accessTokenCredentials = new SigningCredentials(AccessTokenKey, SecurityAlgorithms.RsaSha256);
    }

    public string TenantId { get; }

    /// <summary>The <c>iss</c> of access tokens, as Entra's v1 tokens for Azure OpenAI carry it.</summary>
    public string Issuer { get; }

    public RsaSecurityKey AccessTokenKey { get; }

    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    /// <summary>Issues an access token from an HTTP token endpoint, counted in <see cref="TokensIssued"/>.</summary>
    public string IssueAccessToken(string clientId, string objectId, string audience, TimeSpan lifetime, bool includeRole)
    {
        string token = CreateAccessToken(clientId, objectId, audience, lifetime, includeRole);
        Interlocked.Increment(ref _tokensIssued);
        return token;
    }

    /// <summary>Creates an access token; <paramref name="lifetime"/> may be negative (already expired).</summary>
    public string CreateAccessToken(string clientId, string objectId, string audience, TimeSpan lifetime, bool includeRole)
    {
        DateTime now = DateTime.UtcNow;
        DateTime expires = now + lifetime;
        DateTime notBefore = expires > now ? now : expires - ExpiredTokenValidity;
        var claims = new Dictionary<string, object>
        {
            ["tid"] = TenantId,
            ["oid"] = objectId,
            ["sub"] = objectId,
            ["appid"] = clientId,
            ["azp"] = clientId,
            ["appidacr"] = "2",
            ["idtyp"] = "app",
            ["ver"] = "1.0",
            ["uti"] = NewKeyId(),
            [SerialClaim] = Interlocked.Increment(ref _lastSerial),
        };
        if (includeRole)
        {
            claims["roles"] = new[] { OpenAIUserRole };
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = expires,
            Claims = claims,
            SigningCredentials = _accessTokenCredentials,
        });
    }

    /// <summary>Revokes every access token created so far; later ones are unaffected.</summary>
    public void RevokeIssuedTokens() => Volatile.Write(ref _revokedThrough, Volatile.Read(ref _lastSerial));

    /// <summary>Whether a validated access token was revoked by <see cref="RevokeIssuedTokens"/>.</summary>
    public bool IsRevoked(JsonWebToken token) =>
        !token.TryGetPayloadValue(SerialClaim, out long serial) || serial <= Volatile.Read(ref _revokedThrough);

    /// <summary>Creates a JWT signed by the federation issuer's key, as a cluster writes to the token file.</summary>
    public string CreateFederatedToken(EmulatorFederation federation, TimeSpan lifetime)
    {
        DateTime now = DateTime.UtcNow;
        DateTime expires = now + lifetime;
        DateTime notBefore = expires > now ? now : expires - ExpiredTokenValidity;
        RsaSecurityKey key = GetIssuerKey(federation.Issuer);
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = federation.Issuer,
            Audience = federation.Audience,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = federation.Subject, ["jti"] = NewKeyId() },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>Validates an access token presented to the data plane.</summary>
    public Task<TokenValidationResult> ValidateAccessTokenAsync(string token) =>
        ValidateAccessTokenAsync(token, [CognitiveServicesAudience, CognitiveServicesAudience + "/", AiFoundryAudience, AiFoundryAudience + "/"]);

    /// <summary>Validates an access token of this token service for one of <paramref name="audiences"/> (a gateway's own, for example).</summary>
    public Task<TokenValidationResult> ValidateAccessTokenAsync(string token, IEnumerable<string> audiences) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudiences = audiences,
            IssuerSigningKey = AccessTokenKey,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.Zero,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        });

    /// <summary>Validates a federated assertion's signature, issuer, audience and lifetime.</summary>
    public Task<TokenValidationResult> ValidateFederatedTokenAsync(string token, EmulatorFederation federation) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = federation.Issuer,
            ValidAudience = federation.Audience,
            IssuerSigningKey = GetIssuerKey(federation.Issuer),
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.Zero,
        });

    /// <summary>Reads a JWT without validating it, or returns <see langword="null"/> if it is not one.</summary>
    public JsonWebToken? TryRead(string token) =>
        _handler.CanReadToken(token) ? TryReadCore(token) : null;

    public void Dispose()
    {
        _accessTokenRsa.Dispose();
        foreach (Lazy<RsaSecurityKey> key in _issuerKeys.Values)
        {
            if (key.IsValueCreated)
            {
                key.Value.Rsa.Dispose();
            }
        }
    }

    private JsonWebToken? TryReadCore(string token)
    {
        try
        {
            return _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            // SecurityTokenMalformedException is an ArgumentException too.
            return null;
        }
    }

    private RsaSecurityKey GetIssuerKey(string issuer) =>
        _issuerKeys.GetOrAdd(issuer, _ => new Lazy<RsaSecurityKey>(
            () => new RsaSecurityKey(RSA.Create(RsaKeySizeBits)) { KeyId = NewKeyId() })).Value;

    private static string NewKeyId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
}
