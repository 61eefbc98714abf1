using System.Text;
using System.Text.Json;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// Reads the claims challenge of a 401 (<c>WWW-Authenticate: Bearer ..., claims="base64"</c>), which
/// continuous access evaluation sends when it revokes a token before its expiry.
/// </summary>
internal static class ClaimsChallenge
{
    /// <summary>A longer header or claims value is ignored rather than parsed.</summary>
    internal const int MaxHeaderLength = 8 * 1024;

    private const string ClaimsParameter = "claims=\"";

    /// <summary>The decoded claims JSON of an HTTP response's challenge, or <see langword="null"/> when it has no valid one.</summary>
    public static string? Parse(System.Net.Http.Headers.HttpResponseHeaders headers) =>
        headers.TryGetValues("WWW-Authenticate", out var values) ? values.Select(Parse).FirstOrDefault(c => c is not null) : null;

    /// <summary>The decoded claims JSON of one header value, or <see langword="null"/>.</summary>
    public static string? Parse(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length > MaxHeaderLength)
        {
            return null;
        }

        var start = header.IndexOf(ClaimsParameter, StringComparison.OrdinalIgnoreCase);
        if (start < 0 || (start > 0 && header[start - 1] is not (' ' or ',')))
        {
            return null;
        }

        start += ClaimsParameter.Length;
        var end = header.IndexOf('"', start);
        if (end < 0)
        {
            return null;
        }

        var json = Decode(header.AsSpan(start, end - start));
        return json is not null && IsJsonObject(json) ? json : null;
    }

    private static string? Decode(ReadOnlySpan<char> encoded)
    {
        // Entra sends standard base64; accept the URL-safe alphabet and missing padding too.
        var normalized = new StringBuilder(encoded.Length + 3);
        foreach (var c in encoded)
        {
            normalized.Append(c switch { '-' => '+', '_' => '/', _ => c });
        }

        while (normalized.Length % 4 != 0)
        {
            normalized.Append('=');
        }

        var bytes = new byte[normalized.Length];
        return Convert.TryFromBase64String(normalized.ToString(), bytes, out var written)
            ? Encoding.UTF8.GetString(bytes, 0, written)
            : null;
    }

    private static bool IsJsonObject(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
