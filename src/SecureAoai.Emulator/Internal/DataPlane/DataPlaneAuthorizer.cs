using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Decides whether a data-plane request may proceed, in Azure's order: credentials (an Entra access
/// token or an API key), then the RBAC role. The firewall is checked before this, by the pipeline.
/// Refusals carry Azure's bodies: the bare 401 for any token not accepted, 401
/// <c>PermissionDenied</c> for a principal without the role, the recorded 401 for a wrong key.
/// </summary>
internal sealed class DataPlaneAuthorizer(TokenAuthority tokens)
{
    private const string BearerPrefix = "Bearer ";
    private const string ApiKeyHeader = "api-key";

    /// <summary>Returns the error to answer with, or <see langword="null"/> when the request is allowed.</summary>
    public async Task<AzureError?> AuthorizeAsync(HttpContext context, EmulatorInstance instance)
    {
        string authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string credential = authorization[BearerPrefix.Length..].Trim();

            // The OpenAI client sends an ApiKeyCredential as a bearer value, and the v1 API takes it
            // that way; a JWT always has three dot-separated parts, a key never does.
            return credential.Count(c => c == '.') == 2
                ? await AuthorizeTokenAsync(credential).ConfigureAwait(false)
                : AuthorizeKey(credential, instance);
        }

        string apiKey = context.Request.Headers[ApiKeyHeader].ToString();
        if (apiKey.Length > 0)
        {
            return AuthorizeKey(apiKey, instance);
        }

        return AzureError.Unauthorized(
            "Access denied due to missing subscription key or Authorization header. No credentials were supplied: " +
            "send an Entra ID access token as 'Authorization: Bearer <token>' or, where key authentication is enabled, the key in the 'api-key' header.");
    }

    private static AzureError? AuthorizeKey(string presented, EmulatorInstance instance)
    {
        if (!instance.KeyAuthEnabled)
        {
            return new AzureError(StatusCodes.Status403Forbidden, "AuthenticationTypeDisabled", "Key based authentication is disabled for this resource.");
        }

        bool matches = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(instance.ApiKey));
        return matches ? null : AzureError.KeyRejected();
    }

    private async Task<AzureError?> AuthorizeTokenAsync(string token)
    {
        // Azure gives one answer for every token it does not accept, whatever the reason; the
        // client, which knows its own token's claims, is the one to say which claim is wrong.
        TokenValidationResult result = await tokens.ValidateAccessTokenAsync(token).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return AzureError.TokenRejected();
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (tokens.IsRevoked(jwt))
        {
            return AzureError.Revoked(DateTimeOffset.UtcNow);
        }

        bool hasRole = jwt.Claims.Any(c => c.Type == "roles" && c.Value == TokenAuthority.OpenAIUserRole);
        return hasRole ? null : AzureError.PermissionDenied();
    }
}
