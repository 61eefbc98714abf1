using System.ClientModel.Primitives;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Turns Azure's terse 401/403/404 answers into a <see cref="SecureOpenAIException"/> that says what
/// went wrong and how to fix it. It sits outside the retry and token policies, so it sees the final
/// answer. It reads both of Azure's error shapes (<see cref="AzureErrorBody"/>) and, since Azure
/// gives one answer for every token it refuses, the SDK's own token's claims to say which is wrong.
/// </summary>
internal sealed class RefusalPolicy(string scope, bool usesApiKey, ILogger logger, TimeProvider? time = null) : PipelinePolicy
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
        var code = error.Code;
        var azureMessage = error.Message ?? $"(status {response.Status}, no error body that could be read)";
        var endpoint = new Uri(message.Request.Uri!.GetLeftPart(UriPartial.Authority));
        var host = endpoint.Host;

        (SecureOpenAIRefusal Reason, string Fix)? diagnosis = response.Status switch
        {
            401 or 403 when error.IsPermissionDenied => (SecureOpenAIRefusal.PermissionDenied, MissingRoleFix(message.Request)),
            401 when usesApiKey => (SecureOpenAIRefusal.Unauthorized,
                "The resource did not accept the API key: check SecureOpenAI:ApiKey (or the endpoint's ApiKey) against the resource's Key 1 and Key 2, and that the endpoint is this resource's. Better, remove the key and authenticate with Entra ID."),
            401 => (SecureOpenAIRefusal.Unauthorized, TokenFix(message.Request)),
            403 when azureMessage.Contains("Virtual Network/Firewall", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.FirewallDenied,
                $"The resource's network rules do not admit this client's address. If the resource has a private endpoint, this client reached it over the public network: from here, {host} must resolve through privatelink.openai.azure.com to the private endpoint's address (link the private DNS zone to the client's VNet, enable VNet integration on App Service, and have custom DNS servers forward to 168.63.129.16). Otherwise add the client's network to the resource's allowed networks."),
            403 when string.Equals(code, "AuthenticationTypeDisabled", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.KeyAuthDisabled,
                "Key authentication is disabled on the resource. Remove SecureOpenAI:ApiKey and authenticate with Entra ID."),
            404 when string.Equals(code, "DeploymentNotFound", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.DeploymentNotFound,
                "Check the deployment names under SecureOpenAI:Deployments against the deployments of this resource."),
            _ => null,
        };

        if (diagnosis is not { } found)
        {
            return;
        }

        var text = $"{endpoint} refused the request with {response.Status} ({found.Reason}): {azureMessage} {found.Fix}";
        Log.RequestRefused(logger, endpoint.ToString(), response.Status, found.Reason.ToString());
        throw new SecureOpenAIException(text, endpoint, found.Reason, code, response);
    }

    /// <summary>Names the role and, from the token the SDK sent, the principal to assign it to.</summary>
    private static string MissingRoleFix(PipelineRequest request)
    {
        var claims = AccessTokenClaims.FromRequest(request);
        var principal = claims?.ObjectId is { } oid
            ? $"the principal with object id {oid}{(claims.AppId is { } app ? $" (app id {app})" : "")}{(claims.TenantId is { } tenant ? $" in tenant {tenant}" : "")}"
            : "the identity the credential signs in as";
        return $"The identity authenticated but holds no data-plane role on this resource: assign the role '{OpenAIUserRole}' on the resource to {principal}. " +
            "A new role assignment can take a few minutes to apply. The SDK sent the request once and did not refresh the token: a new token would carry no new role.";
    }

    /// <summary>
    /// Azure says the same for every token it refuses; the SDK's token's own claims tell which one
    /// is wrong: the audience, the expiry, or else the tenant or the endpoint.
    /// </summary>
    private string TokenFix(PipelineRequest request)
    {
        var retried = $"The SDK asked the credential for a new token once before giving up. Check that the identity is in the resource's tenant, that the token scope is '{scope}', and that the endpoint is the resource's custom subdomain (https://NAME.openai.azure.com/).";
        var claims = AccessTokenClaims.FromRequest(request);
        if (claims is null)
        {
            return retried;
        }

        if (!claims.HasAcceptedAudience)
        {
            return $"The token sent is for audience '{string.Join("', '", claims.Audiences)}', but Azure OpenAI accepts only {string.Join(" or ", AccessTokenClaims.AcceptedAudiences)}: " +
                $"set SecureOpenAI:Credential:Scope to https://cognitiveservices.azure.com/.default (it is '{scope}'). {retried}";
        }

        var now = _time.GetUtcNow();
        if (claims.ExpiresOn is { } expires && expires <= now)
        {
            return $"The token sent had expired at {expires.ToString("u", CultureInfo.InvariantCulture)}, {(now - expires).TotalMinutes:0} minute(s) before this machine's clock: " +
                $"check this machine's clock and the credential's token cache. {retried}";
        }

        return claims.TenantId is { } tenant ? $"The token sent was issued by tenant {tenant}. {retried}" : retried;
    }
}
