using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SecureAoai.Emulator.Internal.Identity;

/// <summary>
/// The plain-HTTP managed-identity endpoints: Azure IMDS (<c>/metadata/identity/oauth2/token</c>,
/// reached through <c>AZURE_POD_IDENTITY_AUTHORITY_HOST</c>) and App Service (<c>/msi/token</c>,
/// reached through <c>IDENTITY_ENDPOINT</c> and <c>IDENTITY_HEADER</c>).
/// </summary>
internal sealed class ManagedIdentityEndpoints
{
    public const string ImdsTokenPath = "/metadata/identity/oauth2/token";
    public const string AppServiceTokenPath = "/msi/token";

    private readonly TokenAuthority _tokens;
    private readonly IdentityDirectory _identities;
    private readonly TimeSpan _tokenLifetime;
    private readonly byte[] _appServiceHeader;

    private ManagedIdentityEndpoints(TokenAuthority tokens, IdentityDirectory identities, TimeSpan tokenLifetime, string appServiceHeader)
    {
        _tokens = tokens;
        _identities = identities;
        _tokenLifetime = tokenLifetime;
        _appServiceHeader = Encoding.UTF8.GetBytes(appServiceHeader);
    }

    public static void Map(WebApplication app, TokenAuthority tokens, IdentityDirectory identities, TimeSpan tokenLifetime, string appServiceHeader)
    {
        var endpoints = new ManagedIdentityEndpoints(tokens, identities, tokenLifetime, appServiceHeader);
        app.MapGet(ImdsTokenPath, endpoints.ImdsTokenAsync);
        app.MapGet(AppServiceTokenPath, endpoints.AppServiceTokenAsync);

        // Anything else, such as the IMDSv2 / platform-metadata probes of newer MSAL versions, is
        // answered 404 like an IMDS that predates them, so clients fall back to the v1 token path.
        app.MapFallback(context => new OAuthError(StatusCodes.Status404NotFound, "not_found", "The emulator does not serve this path.").WriteAsync(context));
    }

    private Task ImdsTokenAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        if (!string.Equals(context.Request.Headers["Metadata"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return OAuthError.InvalidRequest("Required metadata header not specified").WriteAsync(context);
        }

        OAuthError? error = SelectIdentity(query["client_id"], query["object_id"], query["msi_res_id"], out EmulatorIdentity? identity);
        error = CheckCommonParameters(query) ?? error;
        if (error is not null)
        {
            return error.WriteAsync(context);
        }

        string resource = query["resource"].ToString();
        (string token, DateTimeOffset expiresOn) = Issue(identity!, resource);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string expiresIn = ((long)_tokenLifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["access_token"] = token,
            ["client_id"] = identity!.ClientId,
            ["expires_in"] = expiresIn,
            ["expires_on"] = expiresOn.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["ext_expires_in"] = expiresIn,
            ["not_before"] = now.ToString(CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
        };
        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    private Task AppServiceTokenAsync(HttpContext context)
    {
        byte[] presented = Encoding.UTF8.GetBytes(context.Request.Headers["X-IDENTITY-HEADER"].ToString());
        if (!CryptographicOperations.FixedTimeEquals(presented, _appServiceHeader))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return context.Response.WriteJsonAsync(
                new JsonObject { ["statusCode"] = 401, ["message"] = "Unauthorized request: X-IDENTITY-HEADER is missing or invalid." },
                context.RequestAborted);
        }

        IQueryCollection query = context.Request.Query;
        OAuthError? error = SelectIdentity(query["client_id"], query["principal_id"], query["mi_res_id"], out EmulatorIdentity? identity);
        error = CheckCommonParameters(query) ?? error;
        if (error is not null)
        {
            return error.WriteAsync(context);
        }

        string resource = query["resource"].ToString();
        (string token, DateTimeOffset expiresOn) = Issue(identity!, resource);
        var body = new JsonObject
        {
            ["access_token"] = token,
            ["expires_on"] = expiresOn.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = identity!.ClientId,
        };
        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    private static OAuthError? CheckCommonParameters(IQueryCollection query)
    {
        if (string.IsNullOrEmpty(query["api-version"]))
        {
            return OAuthError.InvalidRequest("Required query variable 'api-version' is missing");
        }

        return string.IsNullOrEmpty(query["resource"])
            ? OAuthError.InvalidRequest("Required audience parameter not specified")
            : null;
    }

    private OAuthError? SelectIdentity(string? clientId, string? objectId, string? resourceId, out EmulatorIdentity? identity)
    {
        identity = null;
        if (!string.IsNullOrEmpty(resourceId))
        {
            return OAuthError.InvalidRequest("Identity not found: the emulator selects user-assigned identities by client id or object id, not by resource id.");
        }

        identity = !string.IsNullOrEmpty(clientId) ? _identities.FindByClientId(clientId)
            : !string.IsNullOrEmpty(objectId) ? _identities.FindByObjectId(objectId)
            : _identities.SystemAssigned;
        return identity is null ? OAuthError.InvalidRequest("Identity not found") : null;
    }

    private (string Token, DateTimeOffset ExpiresOn) Issue(EmulatorIdentity identity, string resource)
    {
        DateTimeOffset expiresOn = DateTimeOffset.UtcNow + _tokenLifetime;
        string token = _tokens.IssueAccessToken(identity.ClientId, identity.ObjectId, resource, _tokenLifetime, identity.HasOpenAIUserRole);
        return (token, expiresOn);
    }
}
