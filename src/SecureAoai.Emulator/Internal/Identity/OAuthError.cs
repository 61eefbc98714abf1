using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.Identity;

/// <summary>
/// An OAuth 2.0 error as Entra ID and the managed-identity endpoints send it:
/// <c>{"error":"...","error_description":"..."}</c>. With an AADSTS code it takes the identity
/// platform's full shape: the description ends with the trace id, correlation id and timestamp
/// (each on its own line), followed by <c>error_codes</c>, <c>timestamp</c>, <c>trace_id</c>,
/// <c>correlation_id</c> and <c>error_uri</c>, as in the example of
/// https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/issues/3017.
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
            string timestamp = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            string traceId = Guid.NewGuid().ToString();
            string correlationId = CorrelationId(context);
            body["error_description"] = $"{Description}\r\nTrace ID: {traceId}\r\nCorrelation ID: {correlationId}\r\nTimestamp: {timestamp}";
            body["error_codes"] = new JsonArray(code);
            body["timestamp"] = timestamp;
            body["trace_id"] = traceId;
            body["correlation_id"] = correlationId;
            body["error_uri"] = $"https://login.microsoftonline.com/error?code={code}";
        }

        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    // MSAL sends its correlation id as client-request-id; Entra echoes a well-formed one.
    private static string CorrelationId(HttpContext context) =>
        Guid.TryParse(context.Request.Headers["client-request-id"].ToString(), out Guid sent) ? sent.ToString() : Guid.NewGuid().ToString();
}
