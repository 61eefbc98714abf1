using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Decides whether a data-plane request may proceed, in Azure's order: credentials (an Entra access
/// token or an API key), then the RBAC role. The firewall is checked before this, by the pipeline.
/// </summary>
internal sealed class DataPlaneAuthorizer(TokenAuthority tokens)
{
    private const string BearerPrefix = "Bearer ";
    private const string ApiKeyHeader = "api-key";

    /// <summary>Returns the error to answer with, or <see langword="null"/> when the request is allowed.</summary>
    public async Task<AzureError?> AuthorizeAsync(HttpContext context, EmulatorInstance instance, DataAction action)
    {
        string authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string credential = authorization[BearerPrefix.Length..].Trim();

            // The OpenAI client sends an ApiKeyCredential as a bearer value, and the v1 API takes it
            // that way; a JWT always has three dot-separated parts, a key never does.
            return credential.Count(c => c == '.') == 2
                ? await AuthorizeTokenAsync(credential, action).ConfigureAwait(false)
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
        return matches ? null : AzureError.Unauthorized(AzureError.KeyRejectedMessage);
    }

    private async Task<AzureError?> AuthorizeTokenAsync(string token, DataAction action)
    {
        TokenValidationResult result = await tokens.ValidateAccessTokenAsync(token).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return AzureError.Unauthorized(DescribeFailure(result.Exception, token));
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (tokens.IsRevoked(jwt))
        {
            return AzureError.Revoked(DateTimeOffset.UtcNow);
        }

        bool hasRole = jwt.Claims.Any(c => c.Type == "roles" && c.Value == TokenAuthority.OpenAIUserRole);
        if (hasRole)
        {
            return null;
        }

        string principal = jwt.TryGetPayloadValue("oid", out string? oid) && oid is not null ? oid : jwt.Subject;
        return new AzureError(
            StatusCodes.Status403Forbidden,
            "PermissionDenied",
            $"The principal `{principal}` lacks the required data action `{action.Action}` to perform `{action.Operation}` operation. " +
            $"Assign the role '{TokenAuthority.OpenAIUserRole}' on this resource.");
    }

    // Each message names the one check that failed, so a misconfigured client can be fixed from the
    // error alone; none of them quotes the token.
    private string DescribeFailure(Exception? failure, string token) => failure switch
    {
        SecurityTokenExpiredException => "Unauthorized. Access token is expired.",
        SecurityTokenNotYetValidException => "Unauthorized. Access token is not yet valid.",
        SecurityTokenNoExpirationException => "Unauthorized. Access token has no expiry.",
        SecurityTokenInvalidAudienceException =>
            $"Unauthorized. Access token audience is incorrect: expected {TokenAuthority.CognitiveServicesAudience}, got {string.Join(", ", tokens.TryRead(token)?.Audiences ?? [])}.",
        SecurityTokenInvalidIssuerException =>
            $"Unauthorized. Access token issuer is incorrect: expected {tokens.Issuer}, got {tokens.TryRead(token)?.Issuer}.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            "Unauthorized. Access token signature is invalid.",
        SecurityTokenInvalidAlgorithmException => "Unauthorized. Access token is signed with an unsupported algorithm.",
        SecurityTokenMalformedException or ArgumentException => "Unauthorized. Access token is malformed.",
        _ => "Unauthorized. Access token is invalid.",
    };
}
