using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SecureAoai.Emulator.Internal.Identity;

/// <summary>
/// The Entra ID authority over TLS: the v2.0 token endpoint for the client-credentials grant with a
/// federated client assertion (workload identity), plus OpenID metadata and signing keys.
/// </summary>
internal sealed class EntraTokenEndpoints
{
    private const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private const string DefaultScopeSuffix = "/.default";
    private const string FederationDocs = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

    private readonly TokenAuthority _tokens;
    private readonly IdentityDirectory _identities;
    private readonly IReadOnlyList<EmulatorFederation> _federations;
    private readonly TimeSpan _tokenLifetime;

    private EntraTokenEndpoints(TokenAuthority tokens, IdentityDirectory identities, IReadOnlyList<EmulatorFederation> federations, TimeSpan tokenLifetime)
    {
        _tokens = tokens;
        _identities = identities;
        _federations = federations;
        _tokenLifetime = tokenLifetime;
    }

    public static void Map(WebApplication app, TokenAuthority tokens, IdentityDirectory identities, IReadOnlyList<EmulatorFederation> federations, TimeSpan tokenLifetime)
    {
        var endpoints = new EntraTokenEndpoints(tokens, identities, federations, tokenLifetime);
        app.MapPost("/{tenant}/oauth2/v2.0/token", endpoints.TokenAsync);
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", endpoints.OpenIdConfigurationAsync);
        app.MapGet("/{tenant}/discovery/v2.0/keys", endpoints.KeysAsync);
        app.MapFallback(context => new OAuthError(StatusCodes.Status404NotFound, "not_found", "The emulator does not serve this path.").WriteAsync(context));
    }

    private async Task TokenAsync(HttpContext context)
    {
        OAuthError? error = CheckTenant(context);
        if (error is null && !context.Request.HasFormContentType)
        {
            error = MissingParameter("grant_type");
        }

        if (error is not null)
        {
            await error.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        (EmulatorIdentity? identity, string? resource, error) = await AuthenticateAsync(form).ConfigureAwait(false);
        if (error is not null)
        {
            await error.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        string token = _tokens.IssueAccessToken(identity!.ClientId, identity.ObjectId, resource!, _tokenLifetime, identity.HasOpenAIUserRole);
        long seconds = (long)_tokenLifetime.TotalSeconds;
        var body = new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = seconds,
            ["ext_expires_in"] = seconds,
            ["access_token"] = token,
        };
        await context.Response.WriteJsonAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task<(EmulatorIdentity? Identity, string? Resource, OAuthError? Error)> AuthenticateAsync(IFormCollection form)
    {
        string grantType = form["grant_type"].ToString();
        string clientId = form["client_id"].ToString();
        string scope = form["scope"].ToString();
        string assertion = form["client_assertion"].ToString();
        if (grantType.Length == 0 || clientId.Length == 0 || scope.Length == 0)
        {
            return (null, null, MissingParameter(grantType.Length == 0 ? "grant_type" : clientId.Length == 0 ? "client_id" : "scope"));
        }

        if (grantType != "client_credentials")
        {
            return (null, null, new OAuthError(StatusCodes.Status400BadRequest, "unsupported_grant_type", $"AADSTS70003: The app requested an unsupported grant type '{grantType}'. The emulator supports client_credentials with a federated client assertion.", 70003));
        }

        string[] scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scopes.Length != 1 || !scopes[0].EndsWith(DefaultScopeSuffix, StringComparison.Ordinal))
        {
            return (null, null, new OAuthError(StatusCodes.Status400BadRequest, "invalid_scope", $"AADSTS1002012: The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", 1002012));
        }

        if (form["client_assertion_type"] != JwtBearerAssertionType || assertion.Length == 0)
        {
            return (null, null, OAuthError.InvalidClient("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'. The emulator accepts only a federated client assertion (client_assertion_type " + JwtBearerAssertionType + ").", 7000218));
        }

        OAuthError? error = await ValidateAssertionAsync(assertion, clientId).ConfigureAwait(false);
        return error is null
            ? (_identities.ForApplication(clientId), scopes[0][..^DefaultScopeSuffix.Length], null)
            : (null, null, error);
    }

    private async Task<OAuthError?> ValidateAssertionAsync(string assertion, string clientId)
    {
        JsonWebToken? jwt = _tokens.TryRead(assertion);
        if (jwt is null)
        {
            return OAuthError.InvalidClient("AADSTS50027: JWT token is invalid or malformed.", 50027);
        }

        string issuer = jwt.Issuer;
        string subject = jwt.Subject;
        var audiences = jwt.Audiences.ToList();
        EmulatorFederation? federation = _federations.FirstOrDefault(f =>
            f.Issuer == issuer && f.Subject == subject && audiences.Contains(f.Audience)
            && string.Equals(f.ClientId, clientId, StringComparison.OrdinalIgnoreCase));
        if (federation is null)
        {
            return OAuthError.InvalidClient(
                $"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{string.Join(",", audiences)}'. {FederationDocs}",
                70021);
        }

        TokenValidationResult result = await _tokens.ValidateFederatedTokenAsync(assertion, federation).ConfigureAwait(false);
        return result.IsValid ? null : result.Exception switch
        {
            SecurityTokenExpiredException or SecurityTokenNotYetValidException => OAuthError.InvalidClient(
                $"AADSTS700024: Client assertion is not within its valid time range. Current time: {DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture)}, " +
                $"assertion valid from {jwt.ValidFrom.ToString("o", CultureInfo.InvariantCulture)}, expiry time of assertion {jwt.ValidTo.ToString("o", CultureInfo.InvariantCulture)}.",
                700024),
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
                OAuthError.InvalidClient("AADSTS700027: Client assertion failed signature validation.", 700027),
            _ => OAuthError.InvalidClient("AADSTS50027: JWT token is invalid or malformed.", 50027),
        };
    }

    private Task OpenIdConfigurationAsync(HttpContext context)
    {
        OAuthError? error = CheckTenant(context);
        if (error is not null)
        {
            return error.WriteAsync(context);
        }

        string authority = $"{context.Request.Scheme}://{context.Request.Host}/{_tokens.TenantId}";
        var body = new JsonObject
        {
            ["issuer"] = _tokens.Issuer,
            ["token_endpoint"] = $"{authority}/oauth2/v2.0/token",
            ["authorization_endpoint"] = $"{authority}/oauth2/v2.0/authorize",
            ["jwks_uri"] = $"{authority}/discovery/v2.0/keys",
            ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
            ["grant_types_supported"] = new JsonArray("client_credentials"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["tenant_region_scope"] = "NA",
        };
        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    private Task KeysAsync(HttpContext context)
    {
        RSAParameters parameters = _tokens.AccessTokenKey.Rsa.ExportParameters(includePrivateParameters: false);
        var key = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = _tokens.AccessTokenKey.KeyId,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
        return context.Response.WriteJsonAsync(new JsonObject { ["keys"] = new JsonArray(key) }, context.RequestAborted);
    }

    private OAuthError? CheckTenant(HttpContext context)
    {
        string tenant = context.Request.RouteValues["tenant"] as string ?? string.Empty;
        return string.Equals(tenant, _tokens.TenantId, StringComparison.OrdinalIgnoreCase)
            ? null
            : OAuthError.InvalidRequest($"AADSTS90002: Tenant '{tenant}' not found. The emulator serves tenant '{_tokens.TenantId}' only.", 90002);
    }

    private static OAuthError MissingParameter(string name) =>
        OAuthError.InvalidRequest($"AADSTS900144: The request body must contain the following parameter: '{name}'.", 900144);
}
