using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.Identity;

/// <summary>
/// An OAuth 2.0 error as Entra ID and the managed-identity endpoints send it:
/// <c>{"error":"...","error_description":"..."}</c>, with Entra's <c>error_codes</c> when there is an AADSTS code.
/// </summary>
internal sealed record OAuthError(int Status, string Error, string Description, int? AadCode = null)
{
    public static OAuthError InvalidRequest(string description, int? aadCode = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request", description, aadCode);

    public static OAuthError InvalidClient(string description, int aadCode) =>
        new(StatusCodes.Status400BadRequest, "invalid_client", description, aadCode);

    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        var body = new JsonObject { ["error"] = Error, ["error_description"] = Description };
        if (AadCode is int code)
        {
            body["error_codes"] = new JsonArray(code);
            body["timestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            body["trace_id"] = Guid.NewGuid().ToString();
            body["correlation_id"] = context.Request.Headers["client-request-id"].FirstOrDefault() ?? Guid.NewGuid().ToString();
        }

        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }
}
