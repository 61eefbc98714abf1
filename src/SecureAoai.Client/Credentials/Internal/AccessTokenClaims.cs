using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// The claims of the SDK's own bearer token that explain a refusal: audience, tenant, object id,
/// app id and expiry. They are read from the request the SDK sent, to name the principal and the
/// wrong claim in an error; the token itself is never kept, logged or shown.
/// </summary>
internal sealed record AccessTokenClaims(IReadOnlyList<string> Audiences, string? TenantId, string? ObjectId, string? AppId, DateTimeOffset? ExpiresOn)
{
    /// <summary>A longer <c>Authorization</c> header is not read.</summary>
    internal const int MaxHeaderLength = 16 * 1024;

    private const string BearerPrefix = "Bearer ";

    /// <summary>The audiences Azure OpenAI accepts in a token.</summary>
    internal static readonly IReadOnlyList<string> AcceptedAudiences = ["https://cognitiveservices.azure.com", "https://ai.azure.com"];

    /// <summary>Whether a scope asks for a token Azure OpenAI accepts (<c>https://cognitiveservices.azure.com/.default</c> and the like).</summary>
    public static bool IsAzureOpenAIScope(string scope) =>
        AcceptedAudiences.Contains(AudienceOf(scope), StringComparer.OrdinalIgnoreCase);

    /// <summary>The audience a token asked for with <paramref name="scope"/> names: the scope without <c>/.default</c>.</summary>
    public static string AudienceOf(string scope) =>
        (scope.EndsWith("/.default", StringComparison.OrdinalIgnoreCase) ? scope[..^"/.default".Length] : scope).TrimEnd('/');

    /// <summary>Whether any of the token's audiences is one Azure OpenAI accepts.</summary>
    public bool HasAcceptedAudience => Audiences.Any(a => AcceptedAudiences.Contains(a.TrimEnd('/'), StringComparer.OrdinalIgnoreCase));

    /// <summary>The claims of the request's bearer token, or <see langword="null"/> when it has none that can be read.</summary>
    public static AccessTokenClaims? FromRequest(PipelineRequest request) =>
        request.Headers.TryGetValue("Authorization", out var value) ? FromAuthorizationHeader(value) : null;

    public static AccessTokenClaims? FromAuthorizationHeader(string? header)
    {
        if (header is null || header.Length > MaxHeaderLength || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return FromAccessToken(header[BearerPrefix.Length..].Trim());
    }

    /// <summary>The claims of an access token (a compact JWT), or <see langword="null"/> when it is not one that can be read.</summary>
    public static AccessTokenClaims? FromAccessToken(string token)
    {
        if (token.Length > MaxHeaderLength)
        {
            return null;
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(DecodeBase64Url(parts[1]));
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            IReadOnlyList<string> audiences = root.TryGetProperty("aud", out var aud)
                ? aud.ValueKind switch
                {
                    JsonValueKind.String => [aud.GetString()!],
                    JsonValueKind.Array => [.. aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!)],
                    _ => [],
                }
                : [];
            DateTimeOffset? expires = root.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
            return new AccessTokenClaims(audiences, Text("tid"), Text("oid"), Text("appid") ?? Text("azp"), expires);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static byte[] DecodeBase64Url(string value)
    {
        var base64 = new StringBuilder(value.Length + 3).Append(value).Replace('-', '+').Replace('_', '/');
        base64.Append('=', (4 - (base64.Length % 4)) % 4);
        return Convert.FromBase64String(base64.ToString());
    }
}
