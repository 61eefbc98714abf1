using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>An Azure OpenAI style error: <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
internal sealed record AzureError(int Status, string Code, string Message)
{
    /// <summary>
    /// The <c>WWW-Authenticate</c> value of a 401. The default names the token as invalid; a revoked
    /// token's adds a claims challenge, as resources with continuous access evaluation send.
    /// </summary>
    public string Challenge { get; init; } = "Bearer error=\"invalid_token\"";

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

    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        if (Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = Challenge;
        }

        var body = new JsonObject { ["error"] = new JsonObject { ["code"] = Code, ["message"] = Message } };
        return context.Response.WriteJsonAsync(body);
    }
}
