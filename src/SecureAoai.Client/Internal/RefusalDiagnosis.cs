using System.Globalization;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>A refusal understood: what it means and what to change.</summary>
/// <param name="Reason">The refusal's meaning.</param>
/// <param name="Fix">What to change, in the library's settings; says nothing about what the caller did next.</param>
/// <param name="Settings">The settings <paramref name="Fix"/> names, so a tool can point at its own way of setting them.</param>
/// <remarks>
/// The one place for the meaning and the fix of each of Azure's refusals, and of a gateway's in
/// front of Azure OpenAI: the SDK's errors (RefusalPolicy, which adds what the SDK itself did) and
/// doctor's steps say the same words.
/// </remarks>
internal sealed record RefusalDiagnosis(SecureOpenAIRefusal Reason, string Fix, IReadOnlyList<string> Settings)
{
    internal const string OpenAIUserRole = "Cognitive Services OpenAI User";

    /// <summary>The words for the token the refusals speak of.</summary>
    internal const string TokenSent = "The token sent";

    /// <summary>
    /// Reads one of Azure's terse refusals (401, 403, 404) by its status and code, never its words,
    /// except for the firewall's 403, which has no code of its own. Returns <see langword="null"/> for
    /// an answer that is not one of the refusals a caller can fix.
    /// </summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="error">The error body, in either of Azure's shapes.</param>
    /// <param name="endpoint">The endpoint that answered and how the request authenticated there.</param>
    /// <param name="claims">The claims of the token sent, when a token was sent and could be read.</param>
    /// <param name="now">This machine's time, to tell an expired token.</param>
    public static RefusalDiagnosis? Diagnose(int status, AzureErrorBody error, RefusedEndpoint endpoint, AccessTokenClaims? claims, DateTimeOffset now) =>
        status switch
        {
            401 or 403 when error.IsPermissionDenied => new(SecureOpenAIRefusal.PermissionDenied, MissingRoleFix(claims, endpoint.IsGateway), []),
            401 when endpoint.Credential == EndpointCredentialKind.ApiKey => new(SecureOpenAIRefusal.Unauthorized,
                $"The resource did not accept the API key: check {endpoint.CredentialSetting} against the resource's Key 1 and Key 2, and that the endpoint is this resource's. Better, remove the key and authenticate with Entra ID.",
                [endpoint.CredentialSetting]),
            401 when endpoint.Credential == EndpointCredentialKind.SubscriptionKey => new(SecureOpenAIRefusal.Unauthorized, SubscriptionKeyFix(endpoint), [endpoint.CredentialSetting]),
            401 => new(SecureOpenAIRefusal.Unauthorized, RefusedTokenFix(endpoint, claims, now), [endpoint.CredentialSetting]),
            403 when (error.Message ?? "").Contains("Virtual Network/Firewall", StringComparison.OrdinalIgnoreCase) => new(SecureOpenAIRefusal.FirewallDenied, FirewallFix(endpoint), []),
            403 when string.Equals(error.Code, "AuthenticationTypeDisabled", StringComparison.OrdinalIgnoreCase) => new(SecureOpenAIRefusal.KeyAuthDisabled,
                $"Key authentication is disabled on the resource. Remove {KeySetting(endpoint)} and authenticate with Entra ID.", [KeySetting(endpoint)]),
            404 when string.Equals(error.Code, "DeploymentNotFound", StringComparison.OrdinalIgnoreCase) => new(SecureOpenAIRefusal.DeploymentNotFound,
                $"Check the deployment names under {SettingNames.Deployments}{(endpoint.IsListed ? $" and {endpoint.Setting}:Deployments" : "")} against the deployments of {(endpoint.IsGateway ? "the resources behind the gateway" : "this resource")}.",
                endpoint.IsListed ? [SettingNames.Deployments, $"{endpoint.Setting}:Deployments"] : [SettingNames.Deployments]),
            _ => null,
        };

    /// <summary>
    /// Names the role and, from the token's claims, the principal to assign it to; behind a gateway,
    /// the gateway's own identity too (it authenticated to the resource, the resource refused it).
    /// </summary>
    public static string MissingRoleFix(AccessTokenClaims? claims, bool isGateway)
    {
        var principal = claims?.ObjectId is { } oid
            ? $"the principal with object id {oid}{(claims.AppId is { } app ? $" (app id {app})" : "")}{(claims.TenantId is { } tenant ? $" in tenant {tenant}" : "")}"
            : "the identity the credential signs in as";
        var assign = isGateway
            ? $"The gateway's call to its Azure OpenAI resource authenticated but holds no data-plane role there. If the gateway calls the resource with its own managed identity (API Management's authentication-managed-identity policy), assign the role '{OpenAIUserRole}' on every resource behind it to that identity; if it passes the caller's token on, assign it to {principal}."
            : $"The identity authenticated but holds no data-plane role on this resource: assign the role '{OpenAIUserRole}' on the resource to {principal}.";
        return assign + " A new role assignment can take a few minutes to apply.";
    }

    /// <summary>
    /// The fix for a token whose audience Azure OpenAI does not accept; <paramref name="token"/> names
    /// the token, such as <see cref="TokenSent"/>, and <paramref name="scopeSetting"/> the setting its scope came from.
    /// </summary>
    public static string WrongAudienceFix(AccessTokenClaims claims, string scope, string token, string scopeSetting = SettingNames.Scope) =>
        $"{token} is for audience '{string.Join("', '", claims.Audiences)}', but Azure OpenAI accepts only {string.Join(" or ", AccessTokenClaims.AcceptedAudiences)}: " +
        $"set {scopeSetting} to https://cognitiveservices.azure.com/.default (it is '{scope}').";

    /// <summary>The fix for a token that had expired by this machine's clock; <paramref name="token"/> names the token.</summary>
    public static string ExpiredFix(DateTimeOffset expires, DateTimeOffset now, string token) =>
        $"{token} had expired at {expires.ToString("u", CultureInfo.InvariantCulture)}, {(now - expires).TotalMinutes:0} minute(s) before this machine's clock: " +
        "check this machine's clock and the credential's token cache.";

    /// <summary>What is left to check when the token's own claims look right and the resource still refused it.</summary>
    public static string TokenChecks(string? scope) =>
        $"Check that the identity is in the resource's tenant, that the token scope is '{scope ?? "(none)"}', and that the endpoint is the resource's custom subdomain (https://NAME.openai.azure.com/).";

    /// <summary>
    /// What a gateway that refused a token may want instead: a token for the audience its policy
    /// names, in <paramref name="scopeSetting"/>, or no token but a subscription key.
    /// </summary>
    public static string GatewayAudienceFix(string scopeSetting) =>
        "A gateway in front of Azure OpenAI validates tokens for the audience its policy names (API Management: the audiences of validate-jwt or validate-azure-ad-token, usually its own app registration, such as api://CLIENT-ID): " +
        $"set {scopeSetting} to that audience with /.default. If the gateway expects no token but a subscription key (API Management's default for an API), set the endpoint's SubscriptionKey (with SecureOpenAI:AllowSubscriptionKey) instead.";

    /// <summary>The setting of the key a refusal speaks of: the endpoint's, when it sent one, else <c>SecureOpenAI:ApiKey</c>.</summary>
    private static string KeySetting(RefusedEndpoint endpoint) =>
        endpoint.Credential == EndpointCredentialKind.EntraToken ? SettingNames.ApiKey : endpoint.CredentialSetting;

    private static string SubscriptionKeyFix(RefusedEndpoint endpoint) =>
        $"The gateway did not accept the subscription key sent in the '{endpoint.KeyHeader}' header: check {endpoint.CredentialSetting} against a key of an active subscription whose product or scope includes this API, " +
        $"and that the header is the one the API's subscription settings name (API Management's default is {SecureOpenAIOptions.DefaultSubscriptionKeyHeader}; APIs imported from Azure OpenAI use api-key), set with the endpoint's SubscriptionKeyHeader or SecureOpenAI:SubscriptionKeyHeader. " +
        "Better, authenticate to the gateway with Entra ID (its audience in the endpoint's Scope) and remove the key.";

    /// <summary>
    /// Azure says the same for every token it refuses, and a gateway's token check may say anything;
    /// the token's own claims tell which one is wrong: the audience, the expiry, or else the tenant or
    /// the endpoint.
    /// </summary>
    private static string RefusedTokenFix(RefusedEndpoint endpoint, AccessTokenClaims? claims, DateTimeOffset now)
    {
        var expired = claims?.ExpiresOn is { } expires && expires <= now ? ExpiredFix(expires, now, TokenSent) + " " : "";
        if (endpoint.IsGateway)
        {
            var scope = endpoint.Scope ?? "(none)";
            var sent = claims is null
                ? $"{TokenSent} was for scope '{scope}' ({endpoint.CredentialSetting})"
                : $"{TokenSent} is for audience '{string.Join("', '", claims.Audiences)}' (scope '{scope}', from {endpoint.CredentialSetting})";
            return $"{sent}. {expired}{GatewayAudienceFix(endpoint.CredentialSetting)} " +
                $"Check too that the identity is in the tenant the gateway accepts{(claims?.TenantId is { } t ? $" (the token was issued by tenant {t})" : "")}.";
        }

        var checks = TokenChecks(endpoint.Scope);
        if (claims is null)
        {
            return checks;
        }

        if (!claims.HasAcceptedAudience)
        {
            return $"{WrongAudienceFix(claims, endpoint.Scope ?? "(none)", TokenSent, endpoint.CredentialSetting)} {checks}";
        }

        if (expired.Length > 0)
        {
            return expired + checks;
        }

        return claims.TenantId is { } tenant ? $"{TokenSent} was issued by tenant {tenant}. {checks}" : checks;
    }

    /// <summary>The resource's firewall refused: from here (or from the gateway, for a gateway), with the private zone that applies to the host.</summary>
    private static string FirewallFix(RefusedEndpoint endpoint)
    {
        if (endpoint.IsGateway)
        {
            return "The Azure OpenAI resource behind the gateway refused the gateway's call with its network rules: the gateway reached it over a network the resource does not admit. " +
                $"Give the gateway a path to the resource's private endpoint (API Management: VNet integration or injection, with the private DNS zone {AzureHostNames.OpenAIZone} linked to that VNet), or add the gateway's outbound network to the resource's allowed networks.";
        }

        return $"The resource's network rules do not admit this client's address. If the resource has a private endpoint, this client reached it over the public network: from here, {endpoint.Host} must resolve through {AzureHostNames.Describe(AzureHostNames.ZoneOf(endpoint.Host))} to the private endpoint's address " +
            "(link the private DNS zone to the client's VNet, enable VNet integration on App Service, and have custom DNS servers forward to 168.63.129.16). Otherwise add the client's network to the resource's allowed networks.";
    }
}
