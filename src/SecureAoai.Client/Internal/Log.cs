using Microsoft.Extensions.Logging;

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

    [LoggerMessage(4, LogLevel.Information, "Request to {Endpoint} was refused with 401 (claims challenge: {HasClaimsChallenge}); refreshing the token once and retrying.")]
    public static partial void RetryingAfterUnauthorized(ILogger logger, string endpoint, bool hasClaimsChallenge);

    [LoggerMessage(8, LogLevel.Warning, "The credential returned the token the resource just refused (served from its cache); the request is not sent again.")]
    public static partial void RefreshReturnedSameToken(ILogger logger);

    [LoggerMessage(5, LogLevel.Warning, "SecureOpenAI uses an API key in the {Environment} environment. API keys give full data-plane access and cannot be scoped or audited per caller; move to Entra ID and set AllowApiKey to false.")]
    public static partial void ApiKeyInProduction(ILogger logger, string environment);

    [LoggerMessage(6, LogLevel.Information, "SecureOpenAI endpoint {Endpoint} ({UrlStyle}), authentication: {Authentication}.")]
    public static partial void Configured(ILogger logger, string endpoint, string urlStyle, string authentication);

    [LoggerMessage(7, LogLevel.Warning, "{Endpoint} answered {Status}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, string endpoint, int status, string reason);
}
