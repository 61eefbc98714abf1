using System.Text.Json;
using System.Text.Json.Serialization;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The metadata of an Open frame between an SDK and the router: <c>{"op":"dial","service":"x"}</c>
/// from a dialer, <c>{"op":"bind","service":"x"}</c> from a binder (its control stream), and
/// <c>{"op":"dial","service":"x","grant":BASE64}</c> from the router to a binder, where the grant is
/// the dialer's controller-signed dial grant: the binder learns who calls from it, never from the router.
/// </summary>
internal sealed record RouterRequest
{
    public const string Dial = "dial";
    public const string Bind = "bind";

    /// <summary>The longest service or identity name accepted.</summary>
    public const int MaxNameLength = 255;

    [JsonPropertyName("op")]
    public string Op { get; init; } = string.Empty;

    [JsonPropertyName("service")]
    public string Service { get; init; } = string.Empty;

    /// <summary>From the router to a binder: the dialer's dial grant (<see cref="Crypto.OverlayGrant"/>).</summary>
    [JsonPropertyName("grant")]
    public byte[]? Grant { get; init; }

    /// <summary>For a bind: this terminator's share under the weighted strategy. The default value is 1.</summary>
    /// <remarks>
    /// <c>set</c>, not <c>init</c>: the JSON source generator assigns every init-only property when it
    /// builds the object, so a request without <c>"weight"</c> would read as 0 and be refused.
    /// </remarks>
    [JsonPropertyName("weight")]
    public int Weight { get; set; } = 1;

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, RouterJsonContext.Default.RouterRequest);

    /// <summary>Parses metadata; <see langword="null"/> when it is not a well-formed request.</summary>
    public static RouterRequest? TryParse(ReadOnlySpan<byte> metadata)
    {
        try
        {
            var request = JsonSerializer.Deserialize(metadata, RouterJsonContext.Default.RouterRequest);
            return request is { Op: Dial or Bind, Service.Length: > 0 and <= MaxNameLength, Weight: >= 1 and <= 1000 } ? request : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(RouterRequest))]
internal sealed partial class RouterJsonContext : JsonSerializerContext;
