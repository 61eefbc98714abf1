using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// An Azure OpenAI error in one of the two shapes the service sends: the resource's
/// <c>{"error":{"code":"...","message":"..."}}</c>, or the gateway's bare
/// <c>{"statusCode":401,"message":"..."}</c> for a token it does not accept (<see cref="Bare"/>).
/// </summary>
internal sealed record AzureError(int Status, string Code, string Message)
{
    /// <summary>Azure's words for every bearer token it does not accept: bad, expired, or for another audience.</summary>
    public const string TokenRejectedMessage =
        "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.";

    /// <summary>Azure's words for an API key it does not accept (recorded: ChatCompletionBadKeyGivesHelpfulError.json).</summary>
    public const string KeyRejectedMessage =
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";

    /// <summary>
    /// The <c>WWW-Authenticate</c> value of a 401, or <see langword="null"/> for none (Azure's key
    /// refusal carries none). A revoked token's names a claims challenge, as resources with
    /// continuous access evaluation send.
    /// </summary>
    public string? Challenge { get; init; }

    /// <summary>Members of the <c>error</c> object beyond code and message, such as a content filter's results.</summary>
    public JsonObject? Details { get; init; }

    /// <summary>Whether the body is the gateway's bare <c>{"statusCode","message"}</c> rather than <c>{"error":{...}}</c>.</summary>
    public bool Bare { get; init; }

    public static AzureError BadRequest(string message) => new(StatusCodes.Status400BadRequest, "BadRequest", message);

    /// <summary>An <c>api-version</c> the service does not know: 400, as Azure answers it.</summary>
    public static AzureError ApiVersionNotSupported() => BadRequest("API version not supported");

    public static AzureError Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, "401", message) { Challenge = InvalidTokenChallenge };

    /// <summary>A wrong API key: Azure's body, with no <c>WWW-Authenticate</c> header (as recorded).</summary>
    public static AzureError KeyRejected() => new(StatusCodes.Status401Unauthorized, "401", KeyRejectedMessage);

    /// <summary>A bearer token that is malformed, badly signed, expired, not yet valid or for another audience or issuer: Azure says the same for all.</summary>
    public static AzureError TokenRejected() => new(StatusCodes.Status401Unauthorized, "401", TokenRejectedMessage) { Bare = true, Challenge = InvalidTokenChallenge };

    /// <summary>A valid token whose principal lacks the data-plane role: 401, not 403, with code <c>PermissionDenied</c>.</summary>
    public static AzureError PermissionDenied() => new(StatusCodes.Status401Unauthorized, "PermissionDenied", "Principal does not have access to API/Operation.");

    private const string InvalidTokenChallenge = "Bearer error=\"invalid_token\"";

    /// <summary>
    /// A revoked token: 401 with a claims challenge asking for a token issued from now on, in the
    /// shape continuous access evaluation uses (<c>claims</c> is base64 of the claims request).
    /// </summary>
    public static AzureError Revoked(DateTimeOffset now)
    {
        var claims = new JsonObject
        {
            ["access_token"] = new JsonObject
            {
                ["nbf"] = new JsonObject { ["essential"] = true, ["value"] = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
        }.ToJsonString();
        string encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(claims));
        return new AzureError(StatusCodes.Status401Unauthorized, "401", TokenRejectedMessage)
        {
            Bare = true,
            Challenge = $"Bearer authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"{encoded}\"",
        };
    }

    public static AzureError NotFound() => new(StatusCodes.Status404NotFound, "404", "Resource not found");

    public static AzureError DeploymentNotFound() => new(
        StatusCodes.Status404NotFound,
        "DeploymentNotFound",
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.");

    public static AzureError OperationNotSupported(string operation, string deployment) => new(
        StatusCodes.Status400BadRequest,
        "OperationNotSupported",
        $"The {operation} operation does not work with the specified model, {deployment}. Please choose different model and try again.");

    /// <summary>
    /// Azure's 429 for a deployment over its quota. Azure names the limit hit ("call rate" for
    /// requests, "token rate" for tokens) and the whole seconds of <c>Retry-After</c>.
    /// </summary>
    public static AzureError RateLimited(string operation, string apiVersion, long retryAfterSeconds, bool tokens) => new(
        StatusCodes.Status429TooManyRequests,
        "429",
        $"Requests to the {operation} Operation under Azure OpenAI API version {apiVersion} have exceeded {(tokens ? "token" : "call")} rate limit of your current OpenAI S0 pricing tier. " +
        $"Please retry after {retryAfterSeconds.ToString(CultureInfo.InvariantCulture)} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.");

    /// <summary>The 429 of a forced throttle, in the words Azure uses when a resource is over its quota.</summary>
    public static AzureError Throttled(long retryAfterSeconds) => new(
        StatusCodes.Status429TooManyRequests,
        "429",
        $"Requests to the Azure OpenAI API have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after {retryAfterSeconds.ToString(CultureInfo.InvariantCulture)} seconds.");

    /// <summary>An injected server-side failure, with the body Azure sends for that status where one is known.</summary>
    public static AzureError Injected(int status) => status switch
    {
        StatusCodes.Status408RequestTimeout => new(status, "Timeout", "The operation was timeout."),
        StatusCodes.Status500InternalServerError => new(status, "InternalServerError", "The server had an error while processing your request. Sorry about that!"),
        StatusCodes.Status502BadGateway => new(status, "BadGateway", "Bad gateway."),
        StatusCodes.Status503ServiceUnavailable => new(status, "ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later."),
        StatusCodes.Status504GatewayTimeout => new(status, "GatewayTimeout", "The gateway did not receive a response from the service in time."),
        _ => new(status, status.ToString(CultureInfo.InvariantCulture), ReasonPhrases.GetReasonPhrase(status)),
    };

    /// <summary>
    /// A prompt blocked by the content filter: 400 <c>content_filter</c> with the Responsible AI
    /// inner error and per-category results (here: violence, medium, filtered).
    /// </summary>
    public static AzureError ContentFiltered() => new(
        StatusCodes.Status400BadRequest,
        "content_filter",
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. " +
        "To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766")
    {
        Details = new JsonObject
        {
            ["type"] = null,
            ["param"] = "prompt",
            ["status"] = StatusCodes.Status400BadRequest,
            ["innererror"] = new JsonObject
            {
                ["code"] = "ResponsibleAIPolicyViolation",
                ["content_filter_result"] = new JsonObject
                {
                    ["hate"] = Category(filtered: false, "safe"),
                    ["jailbreak"] = new JsonObject { ["filtered"] = false, ["detected"] = false },
                    ["self_harm"] = Category(filtered: false, "safe"),
                    ["sexual"] = Category(filtered: false, "safe"),
                    ["violence"] = Category(filtered: true, "medium"),
                },
            },
        },
    };

    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        if (Challenge is not null)
        {
            context.Response.Headers.WWWAuthenticate = Challenge;
        }

        if (Bare)
        {
            return context.Response.WriteJsonAsync(new JsonObject { ["statusCode"] = Status, ["message"] = Message });
        }

        var error = new JsonObject { ["code"] = Code, ["message"] = Message };
        if (Details is not null)
        {
            foreach ((string name, JsonNode? value) in Details)
            {
                error[name] = value?.DeepClone();
            }
        }

        return context.Response.WriteJsonAsync(new JsonObject { ["error"] = error });
    }

    private static JsonObject Category(bool filtered, string severity) => new() { ["filtered"] = filtered, ["severity"] = severity };
}
