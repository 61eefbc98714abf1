using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's wire format: each message is a 4-byte big-endian length followed by that many
/// bytes of UTF-8 JSON (a single object), at most <see cref="MaxMessageBytes"/>. Requests carry
/// <c>"op"</c>; responses carry <c>"ok"</c> and, when false, <c>"error"</c> (a code) and <c>"message"</c>.
/// </summary>
internal static class ControllerProtocol
{
    public const int MaxMessageBytes = 64 * 1024;

    public const string CaOp = "ca";
    public const string EnrollOp = "enroll";
    public const string EnrollRouterOp = "enroll-router";
    public const string SessionOp = "session";
    public const string RouterWatchOp = "router-watch";
    public const string RouterIdentitiesOp = "router-identities";
    public const string RouterGrantOp = "router-grant";

    /// <summary>The error code of a router operation asked by anyone but an enrolled, unrevoked router.</summary>
    public const string ForbiddenError = "forbidden";

    /// <summary>Reads one message; null when the peer closed cleanly before a new message.</summary>
    public static async Task<JsonObject?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < header.Length)
        {
            throw new InvalidDataException("The connection closed inside a message header.");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is <= 0 or > MaxMessageBytes)
        {
            throw new InvalidDataException($"A message of {length} bytes is outside 1..{MaxMessageBytes}.");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new InvalidDataException("A message is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A message is not valid JSON.", ex);
        }
    }

    public static async Task WriteAsync(Stream stream, JsonObject message, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message);
        if (body.Length > MaxMessageBytes)
        {
            throw new InvalidDataException($"A message of {body.Length} bytes exceeds {MaxMessageBytes}.");
        }

        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static JsonObject Error(string code, string message) => new() { ["ok"] = false, ["error"] = code, ["message"] = message };

    public static string? GetString(JsonObject message, string name) =>
        message[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
