using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The headers Azure OpenAI adds at each stage a request passes, as the recordings show them: the
/// gateway's <c>apim-request-id</c> on every answer (a refused key gets nothing more); the
/// resource's security headers and <c>x-ms-region</c> once the caller is authenticated; and on an
/// answer from the model, its own <c>x-request-id</c> (a different id), the caller's
/// <c>x-ms-client-request-id</c> echoed (or a new one), the deployment name and the remaining quota.
/// </summary>
internal static class ResponseHeaders
{
    public const string ApimRequestId = "apim-request-id";
    public const string RequestId = "x-request-id";
    public const string ClientRequestId = "x-ms-client-request-id";
    public const string Region = "x-ms-region";
    public const string DeploymentName = "x-ms-deployment-name";
    public const string RaiInvoked = "x-ms-rai-invoked";

    /// <summary>
    /// What a deployment with no configured limit reports in <c>x-ratelimit-remaining-requests</c>
    /// and <c>-tokens</c>: Azure always sends them, and nothing counts against a quota the emulator
    /// does not enforce, so these stay as they are.
    /// </summary>
    public const int UnlimitedRemainingRequests = 10_000;

    /// <inheritdoc cref="UnlimitedRemainingRequests"/>
    public const int UnlimitedRemainingTokens = 1_000_000;

    /// <summary>A caller's client request id longer than this is not echoed.</summary>
    public const int MaxClientRequestIdLength = 256;

    public static void Gateway(HttpResponse response) => response.Headers[ApimRequestId] = Guid.NewGuid().ToString();

    /// <summary>The security headers every answer past the gateway's key check carries.</summary>
    public static void Security(HttpResponse response)
    {
        response.Headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains; preload";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>What an authenticated caller's answers carry: the security headers and the region.</summary>
    public static void Resource(HttpResponse response, EmulatorInstance instance)
    {
        Security(response);
        response.Headers[Region] = instance.RegionDisplayName;
    }

    /// <summary>What an answer from a deployment carries.</summary>
    public static void Deployment(HttpContext context, EmulatedDeployment deployment)
    {
        IHeaderDictionary headers = context.Response.Headers;
        headers[RequestId] = Guid.NewGuid().ToString();
        headers[DeploymentName] = deployment.Name;
        // Echoed when the caller sent one, else one of Azure's own (recorded answers to callers that sent none carry one).
        string clientRequestId = context.Request.Headers[ClientRequestId].ToString();
        headers[ClientRequestId] = clientRequestId.Length is > 0 and <= MaxClientRequestIdLength && !clientRequestId.Any(char.IsControl)
            ? clientRequestId
            : Guid.NewGuid().ToString();

        if (deployment.Kind == EmulatorDeploymentKind.Chat)
        {
            headers[RaiInvoked] = "true";
        }
        else
        {
            headers.AccessControlAllowOrigin = "*";
        }

        // A limited dimension was written by the rate limiter; an unlimited one reports the notional quota.
        headers.TryAdd(RateLimitHeaders.RemainingRequests, UnlimitedRemainingRequests.ToString(CultureInfo.InvariantCulture));
        headers.TryAdd(RateLimitHeaders.RemainingTokens, UnlimitedRemainingTokens.ToString(CultureInfo.InvariantCulture));
    }
}
