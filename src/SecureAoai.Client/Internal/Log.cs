using Microsoft.Extensions.Logging;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Internal;

/// <summary>Every log message of the client. None takes a token, key or secret as an argument.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Entra ID token obtained with {Credential} ({Skipped} credential(s) before it were not available).")]
    public static partial void CredentialSelected(ILogger logger, string credential, int skipped);

    [LoggerMessage(2, LogLevel.Error, "No Entra ID credential produced a token; tried {Credentials}.")]
    public static partial void CredentialChainFailed(ILogger logger, string credentials);

    [LoggerMessage(3, LogLevel.Warning, "Background refresh of the Entra ID token failed; the current token stays in use until it expires.")]
    public static partial void BackgroundRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Request to endpoint {Endpoint} was refused with 401 (claims challenge: {HasClaimsChallenge}); refreshing the token of its scope once and sending it again.")]
    public static partial void RetryingAfterUnauthorized(ILogger logger, string endpoint, bool hasClaimsChallenge);

    [LoggerMessage(14, LogLevel.Warning, "Request to endpoint {Endpoint} was refused with 401 PermissionDenied: the identity lacks a data-plane role, so the token is not refreshed and the request is not sent again.")]
    public static partial void NotRefreshingForMissingRole(ILogger logger, string endpoint);

    [LoggerMessage(8, LogLevel.Warning, "The credential returned the token the resource just refused (served from its cache); the request is not sent again.")]
    public static partial void RefreshReturnedSameToken(ILogger logger);

    [LoggerMessage(5, LogLevel.Warning, "SecureOpenAI uses an API key in the {Environment} environment. API keys give full data-plane access and cannot be scoped or audited per caller; move to Entra ID and set AllowApiKey to false.")]
    public static partial void ApiKeyInProduction(ILogger logger, string environment);

    [LoggerMessage(16, LogLevel.Warning, "SecureOpenAI uses a gateway subscription key in the {Environment} environment. A subscription key is a static secret shared by every caller of the subscription; move to Entra ID with the gateway's audience (the endpoint's Scope) and set AllowSubscriptionKey to false.")]
    public static partial void SubscriptionKeyInProduction(ILogger logger, string environment);

    [LoggerMessage(6, LogLevel.Information, "SecureOpenAI endpoint {Endpoint} ({UrlStyle}), authentication: {Authentication}.")]
    public static partial void Configured(ILogger logger, string endpoint, string urlStyle, string authentication);

    [LoggerMessage(7, LogLevel.Warning, "{Endpoint} answered {Status}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, string endpoint, int status, string reason);

    [LoggerMessage(9, LogLevel.Error, "Refused to connect to {Host}: {Chain} is not allowed by network policy {Policy}.")]
    public static partial void EndpointRefused(ILogger logger, string host, string chain, NetworkPolicy policy);

    [LoggerMessage(10, LogLevel.Warning, "{Host} has no private address ({Chain}); using the public one because the network policy is PreferPrivate.")]
    public static partial void PublicFallback(ILogger logger, string host, string chain);

    [LoggerMessage(11, LogLevel.Debug, "{Host} verified: {Chain} under {Policy}, for {TtlSeconds} s.")]
    public static partial void EndpointVerified(ILogger logger, string host, string chain, NetworkPolicy policy, double ttlSeconds);

    [LoggerMessage(12, LogLevel.Error, "Could not resolve {Host}: {Reason}.")]
    public static partial void EndpointUnresolved(ILogger logger, string host, EndpointNetworkFailure reason);

    [LoggerMessage(13, LogLevel.Warning, "Attempt at endpoint {Endpoint} failed ({Outcome}): {Reason}. Trying the next endpoint if one is free.")]
    public static partial void AttemptFailed(ILogger logger, string endpoint, string outcome, string reason);

    [LoggerMessage(15, LogLevel.Warning, "A streamed answer from endpoint {Endpoint} broke after its headers ({Reason}); it is not sent again. The endpoint cools for {CooldownSeconds} s and the failure counts towards its circuit breaker.")]
    public static partial void StreamBroke(ILogger logger, string endpoint, double cooldownSeconds, string reason);
}
