using System.ClientModel.Primitives;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Turns the terse 401/403/404 answers of Azure OpenAI and of gateways in front of it into a
/// <see cref="SecureOpenAIException"/> that says what went wrong and how to fix it. It sits outside
/// the retry and token handling, so it sees the final answer, and it speaks of the endpoint that gave
/// it (which failover chose, not the one the client addressed) and of the credential that endpoint
/// was sent (<see cref="RequestOutcome"/>): its scope or key setting, and, since Azure gives one
/// answer for every token it refuses, the token's own claims to say which is wrong.
/// </summary>
internal sealed class RefusalPolicy(ILogger logger, TimeProvider? time = null) : PipelinePolicy
{
    internal const string OpenAIUserRole = "Cognitive Services OpenAI User";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        if (IsCandidate(message.Response))
        {
            Diagnose(message, AzureErrorBody.ReadAsync(message.Response!, async: false, message.CancellationToken).AsTask().GetAwaiter().GetResult());
        }
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        if (IsCandidate(message.Response))
        {
            Diagnose(message, await AzureErrorBody.ReadAsync(message.Response!, async: true, message.CancellationToken).ConfigureAwait(false));
        }
    }

    private static bool IsCandidate(PipelineResponse? response) => response?.Status is 401 or 403 or 404;

    private void Diagnose(PipelineMessage message, AzureErrorBody error)
    {
        var response = message.Response!;
        var outcome = RequestOutcome.Of(message);
        var endpoint = outcome?.Endpoint;
        var address = endpoint?.BaseUri ?? new Uri(message.Request.Uri!.GetLeftPart(UriPartial.Authority) + "/");
        var who = endpoint?.Description ?? address.ToString();
        var credential = endpoint?.Credential;
        var claims = outcome?.Token?.Claims;
        var azureMessage = error.Message ?? $"(status {response.Status}, no error body that could be read)";

        (SecureOpenAIRefusal Reason, string Fix)? diagnosis = response.Status switch
        {
            401 or 403 when error.IsPermissionDenied => (SecureOpenAIRefusal.PermissionDenied, MissingRoleFix(endpoint, claims)),
            401 when credential?.Kind == EndpointCredentialKind.ApiKey => (SecureOpenAIRefusal.Unauthorized,
                $"The resource did not accept the API key: check {credential.Setting} against the resource's Key 1 and Key 2, and that the endpoint is this resource's. Better, remove the key and authenticate with Entra ID."),
            401 when credential?.Kind == EndpointCredentialKind.SubscriptionKey => (SecureOpenAIRefusal.Unauthorized, SubscriptionKeyFix(credential)),
            401 => (SecureOpenAIRefusal.Unauthorized, TokenFix(endpoint, credential, claims)),
            403 when azureMessage.Contains("Virtual Network/Firewall", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.FirewallDenied, FirewallFix(endpoint, address)),
            403 when string.Equals(error.Code, "AuthenticationTypeDisabled", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.KeyAuthDisabled,
                $"Key authentication is disabled on the resource. Remove {credential?.Setting ?? "SecureOpenAI:ApiKey"} and authenticate with Entra ID."),
            404 when string.Equals(error.Code, "DeploymentNotFound", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.DeploymentNotFound,
                $"Check the deployment names under SecureOpenAI:Deployments{(endpoint?.Setting.Contains(":Endpoints:", StringComparison.Ordinal) == true ? $" and {endpoint.Setting}:Deployments" : "")} against the deployments of {(endpoint?.IsGateway == true ? "the resources behind the gateway" : "this resource")}."),
            _ => null,
        };

        if (diagnosis is not { } found)
        {
            return;
        }

        var text = $"{who} refused the request with {response.Status} ({found.Reason}): {azureMessage} {found.Fix}";
        Log.RequestRefused(logger, who, response.Status, found.Reason.ToString());
        throw new SecureOpenAIException(text, address, found.Reason, error.Code, response);
    }

    /// <summary>Names the role and, from the token the SDK sent, the principal to assign it to; behind a gateway, the gateway's own identity too.</summary>
    private static string MissingRoleFix(FailoverEndpoint? endpoint, AccessTokenClaims? claims)
    {
        var principal = claims?.ObjectId is { } oid
            ? $"the principal with object id {oid}{(claims.AppId is { } app ? $" (app id {app})" : "")}{(claims.TenantId is { } tenant ? $" in tenant {tenant}" : "")}"
            : "the identity the credential signs in as";
        var assign = endpoint?.IsGateway == true
            ? $"The gateway's call to its Azure OpenAI resource authenticated but holds no data-plane role there. If the gateway calls the resource with its own managed identity (API Management's authentication-managed-identity policy), assign the role '{OpenAIUserRole}' on every resource behind it to that identity; if it passes the caller's token on, assign it to {principal}."
            : $"The identity authenticated but holds no data-plane role on this resource: assign the role '{OpenAIUserRole}' on the resource to {principal}.";
        return assign + " A new role assignment can take a few minutes to apply. The SDK sent the request once and did not refresh the token: a new token would carry no new role.";
    }

    private static string SubscriptionKeyFix(EndpointCredential credential) =>
        $"The gateway did not accept the subscription key sent in the '{credential.Header}' header: check {credential.Setting} against a key of an active subscription whose product or scope includes this API, " +
        $"and that the header is the one the API's subscription settings name (API Management's default is {SecureOpenAIOptions.DefaultSubscriptionKeyHeader}; APIs imported from Azure OpenAI use api-key), set with the endpoint's SubscriptionKeyHeader or SecureOpenAI:SubscriptionKeyHeader. " +
        "Better, authenticate to the gateway with Entra ID (its audience in the endpoint's Scope) and remove the key.";

    /// <summary>
    /// Azure says the same for every token it refuses, and a gateway's token check may say anything;
    /// the SDK's token's own claims tell which one is wrong: the audience, the expiry, or else the tenant.
    /// </summary>
    private string TokenFix(FailoverEndpoint? endpoint, EndpointCredential? credential, AccessTokenClaims? claims)
    {
        var scope = credential?.Scope ?? "(none)";
        var setting = credential?.Setting ?? "SecureOpenAI:Credential:Scope";
        var audiences = claims is null ? null : string.Join("', '", claims.Audiences);
        var retried = "The SDK asked the credential for a new token once before giving up.";
        if (endpoint?.IsGateway == true)
        {
            var sent = audiences is null ? $"The token sent was for scope '{scope}' ({setting})" : $"The token sent is for audience '{audiences}' (scope '{scope}', from {setting})";
            var expiry = ExpiryProblem(claims);
            return $"{sent}. {expiry}A gateway in front of Azure OpenAI validates tokens for the audience its policy names (API Management: the audiences of validate-jwt or validate-azure-ad-token, usually its own app registration, such as api://CLIENT-ID): " +
                $"set {setting} to that audience with /.default. If the gateway expects no token but a subscription key (API Management's default for an API), set the endpoint's SubscriptionKey (with SecureOpenAI:AllowSubscriptionKey) instead. Check too that the identity is in the tenant the gateway accepts{(claims?.TenantId is { } t ? $" (the token was issued by tenant {t})" : "")}. {retried}";
        }

        var checks = $"{retried} Check that the identity is in the resource's tenant, that the token scope is '{scope}', and that the endpoint is the resource's custom subdomain (https://NAME.openai.azure.com/).";
        if (claims is null)
        {
            return checks;
        }

        if (!claims.HasAcceptedAudience)
        {
            return $"The token sent is for audience '{audiences}', but Azure OpenAI accepts only {string.Join(" or ", AccessTokenClaims.AcceptedAudiences)}: " +
                $"set {setting} to https://cognitiveservices.azure.com/.default (it is '{scope}'). {checks}";
        }

        if (ExpiryProblem(claims) is { Length: > 0 } expired)
        {
            return expired + checks;
        }

        return claims.TenantId is { } tenant ? $"The token sent was issued by tenant {tenant}. {checks}" : checks;
    }

    /// <summary>Says so when the token had expired by this machine's clock; else empty.</summary>
    private string ExpiryProblem(AccessTokenClaims? claims)
    {
        var now = _time.GetUtcNow();
        return claims?.ExpiresOn is { } expires && expires <= now
            ? $"The token sent had expired at {expires.ToString("u", CultureInfo.InvariantCulture)}, {(now - expires).TotalMinutes:0} minute(s) before this machine's clock: check this machine's clock and the credential's token cache. "
            : "";
    }

    /// <summary>The resource's firewall refused: from here (or from the gateway, for a gateway), with the private zone that applies to the host.</summary>
    private static string FirewallFix(FailoverEndpoint? endpoint, Uri address)
    {
        var host = address.IdnHost;
        if (endpoint?.IsGateway == true)
        {
            return "The Azure OpenAI resource behind the gateway refused the gateway's call with its network rules: the gateway reached it over a network the resource does not admit. " +
                $"Give the gateway a path to the resource's private endpoint (API Management: VNet integration or injection, with the private DNS zone {AzureHostNames.OpenAIZone} linked to that VNet), or add the gateway's outbound network to the resource's allowed networks.";
        }

        var zone = AzureHostNames.ZoneOf(host);
        return $"The resource's network rules do not admit this client's address. If the resource has a private endpoint, this client reached it over the public network: from here, {host} must resolve through {AzureHostNames.Describe(zone)} to the private endpoint's address " +
            "(link the private DNS zone to the client's VNet, enable VNet integration on App Service, and have custom DNS servers forward to 168.63.129.16). Otherwise add the client's network to the resource's allowed networks.";
    }
}
