using System.Globalization;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>A refusal understood: what it means and what to change.</summary>
/// <param name="Reason">The refusal's meaning.</param>
/// <param name="Fix">What to change, in the library's settings; says nothing about what the caller did next.</param>
/// <param name="Settings">The settings <paramref name="Fix"/> names, so a tool can point at its own way of setting them.</param>
internal sealed record RefusalDiagnosis(SecureOpenAIRefusal Reason, string Fix, IReadOnlyList<string> Settings)
{
    internal const string OpenAIUserRole = "Cognitive Services OpenAI User";

    /// <summary>
    /// Reads one of Azure's terse refusals (401, 403, 404) by its status and code, never its words,
    /// except for the firewall's 403, which has no code of its own. Returns <see langword="null"/> for
    /// an answer that is not one of the refusals a caller can fix.
    /// </summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="error">The error body, in either of Azure's shapes.</param>
    /// <param name="host">The endpoint's host name.</param>
    /// <param name="claims">The claims of the token sent, when a token was sent and could be read.</param>
    /// <param name="usesApiKey">Whether the request carried an API key rather than a token.</param>
    /// <param name="scope">The token scope in effect.</param>
    /// <param name="now">This machine's time, to tell an expired token.</param>
    public static RefusalDiagnosis? Diagnose(int status, AzureErrorBody error, string host, AccessTokenClaims? claims, bool usesApiKey, string scope, DateTimeOffset now) =>
        status switch
        {
            401 or 403 when error.IsPermissionDenied => new(SecureOpenAIRefusal.PermissionDenied, MissingRoleFix(claims), []),
            401 when usesApiKey => new(SecureOpenAIRefusal.Unauthorized,
                "The resource did not accept the API key: check SecureOpenAI:ApiKey (or the endpoint's ApiKey) against the resource's Key 1 and Key 2, and that the endpoint is this resource's. Better, remove the key and authenticate with Entra ID.",
                [SettingNames.ApiKey]),
            401 => new(SecureOpenAIRefusal.Unauthorized, RefusedTokenFix(claims, scope, now), [SettingNames.Scope]),
            403 when (error.Message ?? "").Contains("Virtual Network/Firewall", StringComparison.OrdinalIgnoreCase) => new(SecureOpenAIRefusal.FirewallDenied,
                $"The resource's network rules do not admit this client's address. If the resource has a private endpoint, this client reached it over the public network: from here, {host} must resolve through privatelink.openai.azure.com to the private endpoint's address (link the private DNS zone to the client's VNet, enable VNet integration on App Service, and have custom DNS servers forward to 168.63.129.16). Otherwise add the client's network to the resource's allowed networks.",
                []),
            403 when string.Equals(error.Code, "AuthenticationTypeDisabled", StringComparison.OrdinalIgnoreCase) => new(SecureOpenAIRefusal.KeyAuthDisabled,
                "Key authentication is disabled on the resource. Remove SecureOpenAI:ApiKey and authenticate with Entra ID.", [SettingNames.ApiKey]),
            404 when string.Equals(error.Code, "DeploymentNotFound", StringComparison.OrdinalIgnoreCase) => new(SecureOpenAIRefusal.DeploymentNotFound,
                "Check the deployment names under SecureOpenAI:Deployments against the deployments of this resource.", [SettingNames.Deployments]),
            _ => null,
        };

    /// <summary>Names the role and, from the token's claims, the principal to assign it to.</summary>
    public static string MissingRoleFix(AccessTokenClaims? claims)
    {
        var principal = claims?.ObjectId is { } oid
            ? $"the principal with object id {oid}{(claims.AppId is { } app ? $" (app id {app})" : "")}{(claims.TenantId is { } tenant ? $" in tenant {tenant}" : "")}"
            : "the identity the credential signs in as";
        return $"The identity authenticated but holds no data-plane role on this resource: assign the role '{OpenAIUserRole}' on the resource to {principal}. " +
            "A new role assignment can take a few minutes to apply.";
    }

    /// <summary>The words for the token the refusals speak of.</summary>
    internal const string TokenSent = "The token sent";

    /// <summary>The fix for a token whose audience Azure OpenAI does not accept; <paramref name="token"/> names the token, such as <see cref="TokenSent"/>.</summary>
    public static string WrongAudienceFix(AccessTokenClaims claims, string scope, string token) =>
        $"{token} is for audience '{string.Join("', '", claims.Audiences)}', but Azure OpenAI accepts only {string.Join(" or ", AccessTokenClaims.AcceptedAudiences)}: " +
        $"set {SettingNames.Scope} to https://cognitiveservices.azure.com/.default (it is '{scope}').";

    /// <summary>The fix for a token that had expired by this machine's clock; <paramref name="token"/> names the token.</summary>
    public static string ExpiredFix(DateTimeOffset expires, DateTimeOffset now, string token) =>
        $"{token} had expired at {expires.ToString("u", CultureInfo.InvariantCulture)}, {(now - expires).TotalMinutes:0} minute(s) before this machine's clock: " +
        "check this machine's clock and the credential's token cache.";

    /// <summary>What is left to check when the token's own claims look right and the resource still refused it.</summary>
    public static string TokenChecks(string scope) =>
        $"Check that the identity is in the resource's tenant, that the token scope is '{scope}', and that the endpoint is the resource's custom subdomain (https://NAME.openai.azure.com/).";

    /// <summary>
    /// Azure says the same for every token it refuses; the token's own claims tell which one is
    /// wrong: the audience, the expiry, or else the tenant or the endpoint.
    /// </summary>
    private static string RefusedTokenFix(AccessTokenClaims? claims, string scope, DateTimeOffset now)
    {
        if (claims is null)
        {
            return TokenChecks(scope);
        }

        if (!claims.HasAcceptedAudience)
        {
            return $"{WrongAudienceFix(claims, scope, TokenSent)} {TokenChecks(scope)}";
        }

        if (claims.ExpiresOn is { } expires && expires <= now)
        {
            return $"{ExpiredFix(expires, now, TokenSent)} {TokenChecks(scope)}";
        }

        return claims.TenantId is { } tenant ? $"{TokenSent} was issued by tenant {tenant}. {TokenChecks(scope)}" : TokenChecks(scope);
    }
}
