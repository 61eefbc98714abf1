using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal;

/// <summary>Writes JSON bodies without the minimal-API serializer, so the exact shape stays visible in code.</summary>
internal static class HttpResponseJsonExtensions
{
    public static Task WriteJsonAsync(this HttpResponse response, JsonNode body, CancellationToken cancellationToken = default)
    {
        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(body.ToJsonString(), cancellationToken);
    }
}
