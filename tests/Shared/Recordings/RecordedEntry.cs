using System.Text;
using System.Text.Json;

namespace SecureAoai.Testing.Recordings;

/// <summary>
/// One recorded exchange. A JSON response body is stored parsed; a server-sent event body is
/// stored as an array of strings, one <c>data: ...\n\n</c> event each (see the recordings' README).
/// </summary>
internal sealed class RecordedEntry
{
    private const string DataPrefix = "data: ";
    private const string Done = "[DONE]";

    private RecordedEntry(
        Uri requestUri,
        string requestMethod,
        Dictionary<string, string> requestHeaders,
        JsonElement? requestBody,
        int statusCode,
        Dictionary<string, string> responseHeaders,
        JsonElement? responseBody)
    {
        RequestUri = requestUri;
        RequestMethod = requestMethod;
        RequestHeaders = requestHeaders;
        RequestBody = requestBody;
        StatusCode = statusCode;
        ResponseHeaders = responseHeaders;
        ResponseBody = responseBody;
    }

    public Uri RequestUri { get; }

    public string RequestMethod { get; }

    public IReadOnlyDictionary<string, string> RequestHeaders { get; }

    public JsonElement? RequestBody { get; }

    public int StatusCode { get; }

    /// <summary>The recorded response headers, by case-insensitive name.</summary>
    public IReadOnlyDictionary<string, string> ResponseHeaders { get; }

    public JsonElement? ResponseBody { get; }

    /// <summary>Whether the response is a server-sent event stream (by its recorded <c>Content-Type</c>).</summary>
    public bool IsEventStream => ResponseHeaders.TryGetValue("Content-Type", out string? type) && type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>The events of a stream, each as recorded (<c>data: ...\n\n</c>); empty for a JSON body.</summary>
    public IReadOnlyList<string> Events =>
        IsEventStream && ResponseBody is { ValueKind: JsonValueKind.Array } events ? [.. events.EnumerateArray().Select(e => e.GetString()!)] : [];

    /// <summary>The JSON payload of each event of a stream, without the closing <c>[DONE]</c>.</summary>
    public IReadOnlyList<JsonElement> EventPayloads => [.. Events.Select(Payload).Where(p => p is not null).Select(p => p!.Value)];

    /// <summary>The deployment named in the path (<c>/openai/deployments/{name}/...</c>), unescaped.</summary>
    public string Deployment
    {
        get
        {
            string[] segments = RequestUri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(segments, "deployments");
            return at >= 0 && at + 1 < segments.Length ? Uri.UnescapeDataString(segments[at + 1]) : throw new InvalidOperationException($"{RequestUri} names no deployment.");
        }
    }

    /// <summary>The <c>api-version</c> of the request, or <see langword="null"/>.</summary>
    public string? ApiVersion =>
        RequestUri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2 && p[0] == "api-version")
            .Select(p => Uri.UnescapeDataString(p[1]))
            .FirstOrDefault();

    /// <summary>Whether the request authenticated with an <c>Authorization</c> header (Entra ID) rather than an API key.</summary>
    public bool UsedBearerToken => RequestHeaders.ContainsKey("Authorization");

    /// <summary>The body as the service sent it, up to whitespace: the stored JSON, or the events joined.</summary>
    public byte[] ResponseBodyBytes() =>
        IsEventStream ? Encoding.UTF8.GetBytes(string.Concat(Events))
        : ResponseBody is { } body ? Encoding.UTF8.GetBytes(body.GetRawText())
        : [];

    /// <summary>A recorded request-body property, or <see langword="null"/>.</summary>
    public JsonElement? RequestProperty(string name) =>
        RequestBody is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty(name, out JsonElement value) ? value : null;

    public static RecordedEntry Read(JsonElement entry)
    {
        JsonElement? Optional(string name) =>
            entry.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

        return new RecordedEntry(
            new Uri(entry.GetProperty(nameof(RequestUri)).GetString()!),
            entry.GetProperty(nameof(RequestMethod)).GetString()!,
            ReadHeaders(entry.GetProperty(nameof(RequestHeaders))),
            Optional("RequestBody"),
            entry.GetProperty(nameof(StatusCode)).GetInt32(),
            ReadHeaders(entry.GetProperty(nameof(ResponseHeaders))),
            Optional("ResponseBody"));
    }

    /// <summary>The JSON of one <c>data:</c> event, or <see langword="null"/> for <c>[DONE]</c>.</summary>
    public static JsonElement? Payload(string sseEvent)
    {
        string data = sseEvent.Trim();
        if (!data.StartsWith(DataPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"Not a data event: {data}");
        }

        data = data[DataPrefix.Length..];
        if (data == Done)
        {
            return null;
        }

        using JsonDocument document = JsonDocument.Parse(data);
        return document.RootElement.Clone();
    }

    private static Dictionary<string, string> ReadHeaders(JsonElement headers) =>
        headers.EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString() ?? string.Empty, StringComparer.OrdinalIgnoreCase);
}
