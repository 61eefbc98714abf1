using Microsoft.AspNetCore.Http;
using SecureAoai.Emulator.Internal.DataPlane;

namespace SecureAoai.Emulator.Internal.Gateway;

/// <summary>
/// API Management's own refusals, in its bare <c>{"statusCode":...,"message":...}</c> shape (no
/// <c>error.code</c>): a missing or wrong subscription key, a token its validate-jwt policy refuses,
/// a path no API serves, a backend pool with every circuit open. Sources are in docs/emulator.md.
/// </summary>
internal static class GatewayErrors
{
    /// <summary>API Management's words for a request without the key of a subscription-required API.</summary>
    public const string MissingKeyMessage =
        "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";

    /// <summary>API Management's words for a key of no active subscription.</summary>
    public const string InvalidKeyMessage =
        "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";

    /// <summary>
    /// The failed-validation-error-message of the validate-jwt policy in API Management's Microsoft
    /// Entra token validation example (the policy's own default depends on the failure).
    /// </summary>
    public const string TokenRejectedMessage = "Unauthorized. Access token is missing or invalid.";

    public static AzureError MissingKey(string realm, string header) =>
        new(StatusCodes.Status401Unauthorized, "401", MissingKeyMessage) { Bare = true, Challenge = KeyChallenge(realm, header) };

    public static AzureError InvalidKey(string realm, string header) =>
        new(StatusCodes.Status401Unauthorized, "401", InvalidKeyMessage) { Bare = true, Challenge = KeyChallenge(realm, header) };

    public static AzureError TokenRejected() => new(StatusCodes.Status401Unauthorized, "401", TokenRejectedMessage) { Bare = true };

    public static AzureError NotFound() => new(StatusCodes.Status404NotFound, "404", "Resource not found") { Bare = true };

    /// <summary>Every backend's circuit is open: API Management answers 503 (its documented behaviour for a tripped breaker).</summary>
    public static AzureError NoBackendAvailable() => new(
        StatusCodes.Status503ServiceUnavailable,
        "503",
        "Service Unavailable: every backend of the pool has an open circuit breaker.") { Bare = true };

    /// <summary>The challenge API Management sends with a key refusal (quoted in microsoft/Cognitive-LUIS-Windows#23).</summary>
    private static string KeyChallenge(string realm, string header) => $"AzureApiManagementKey realm=\"{realm}\",name=\"{header}\",type=\"header\"";
}
