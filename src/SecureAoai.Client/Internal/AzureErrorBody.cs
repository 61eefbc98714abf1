using System.ClientModel.Primitives;
using System.Text.Json;

namespace SecureAoai.Client.Internal;

/// <summary>
/// An Azure OpenAI error body, in either of the service's two shapes: the resource's
/// <c>{"error":{"code":"...","message":"..."}}</c>, or the gateway's bare
/// <c>{"statusCode":401,"message":"..."}</c> for a token it does not accept (which has no code).
/// </summary>
/// <param name="Code">The <c>error.code</c>, or <see langword="null"/> for the bare shape or an unreadable body.</param>
/// <param name="Message">The message, or <see langword="null"/> when the body had none that could be read.</param>
internal sealed record AzureErrorBody(string? Code, string? Message)
{
    /// <summary>The most of an error body that is read; Azure's are a few hundred bytes. The rest is dropped.</summary>
    internal const int MaxBytes = 64 * 1024;

    /// <summary>Azure's code for a principal without the data-plane role (sent with 401, formerly with 403).</summary>
    internal const string PermissionDeniedCode = "PermissionDenied";

    private const int ReadChunkBytes = 8 * 1024;

    public static readonly AzureErrorBody Unreadable = new(null, null);

    /// <summary>Whether the resource refused a principal that lacks the role, rather than its token.</summary>
    public bool IsPermissionDenied => string.Equals(Code, PermissionDeniedCode, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Buffers the response body, at most <see cref="MaxBytes"/> of it (a longer body is cut there and
    /// not parsed), so the caller and later policies can still read it; then reads the error.
    /// </summary>
    public static async ValueTask<AzureErrorBody> ReadAsync(PipelineResponse response, bool async, CancellationToken cancellationToken)
    {
        if (response.ContentStream is { } stream)
        {
            var body = await ReadBoundedAsync(stream, async, cancellationToken).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            response.ContentStream = new MemoryStream(body, writable: false);
            if (async)
            {
                await response.BufferContentAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                response.BufferContent(cancellationToken);
            }
        }

        return Parse(response.Content.ToMemory());
    }

    /// <summary>
    /// Buffers an HTTP response's body, at most <see cref="MaxBytes"/> of it, putting the bytes back as
    /// its content (headers kept) so the layers above read the same body; then reads the error.
    /// </summary>
    public static async ValueTask<AzureErrorBody> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            body = await ReadBoundedAsync(stream, async: true, cancellationToken).ConfigureAwait(false);
        }

        var replacement = new ByteArrayContent(body);
        foreach (var header in response.Content.Headers)
        {
            if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                replacement.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        response.Content.Dispose();
        response.Content = replacement;
        return Parse(body);
    }

    /// <summary>The body's first <see cref="MaxBytes"/> + 1 bytes at most: one more than a body <see cref="Parse"/> reads, so a longer one is seen as such.</summary>
    private static async ValueTask<byte[]> ReadBoundedAsync(Stream stream, bool async, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[ReadChunkBytes];
        while (buffer.Length <= MaxBytes)
        {
            var read = async ? await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false) : stream.Read(chunk, 0, chunk.Length);
            if (read == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, MaxBytes + 1L)).ToArray();
    }

    /// <summary>Reads either shape from a body; anything else (or a body over <see cref="MaxBytes"/>) is <see cref="Unreadable"/>.</summary>
    public static AzureErrorBody Parse(ReadOnlyMemory<byte> content)
    {
        if (content.Length is 0 or > MaxBytes)
        {
            return Unreadable;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Unreadable;
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return new AzureErrorBody(
                    error.TryGetProperty("code", out var code) && code.ValueKind is JsonValueKind.String or JsonValueKind.Number ? code.ToString() : null,
                    error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null);
            }

            return root.TryGetProperty("statusCode", out _) && root.TryGetProperty("message", out var bare) && bare.ValueKind == JsonValueKind.String
                ? new AzureErrorBody(null, bare.GetString())
                : Unreadable;
        }
        catch (JsonException)
        {
            return Unreadable;
        }
    }
}
