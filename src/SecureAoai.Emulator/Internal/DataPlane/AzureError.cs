using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>An Azure OpenAI style error: <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
internal sealed record AzureError(int Status, string Code, string Message)
{
    /// <summary>
    /// The <c>WWW-Authenticate</c> value of a 401. The default names the token as invalid; a revoked
    /// token's adds a claims challenge, as resources with continuous access evaluation send.
    /// </summary>
    public string Challenge { get; init; } = "Bearer error=\"invalid_token\"";

    /// <summary>Members of the <c>error</c> object beyond code and message, such as a content filter's results.</summary>
    public JsonObject? Details { get; init; }

    public const string KeyRejectedMessage =
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";

    public static AzureError BadRequest(string message) => new(StatusCodes.Status400BadRequest, "BadRequest", message);

    public static AzureError Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, "401", message);

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
        return new AzureError(StatusCodes.Status401Unauthorized, "401", "Unauthorized. Access token has been revoked; get a new one.")
        {
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
        if (Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = Challenge;
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
