using System.Buffers;
using System.Text.Json;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// Counts the tokens a response reports in its <c>usage</c>: read from a JSON body, or picked from
/// a stream's events as the caller reads them, without changing a byte the caller sees. A stream is
/// also watched for a break after its headers, which is reported to its endpoint.
/// </summary>
internal static class UsageMeter
{
    /// <summary>The longest server-sent event line examined; longer lines pass through unexamined.</summary>
    internal const int MaxEventLineBytes = 64 * 1024;

    /// <summary>The largest JSON body examined for usage.</summary>
    internal const int MaxJsonBodyBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Whether <see cref="AttachAsync"/> has anything to do with <paramref name="response"/>: a
    /// successful stream (watched for a break), or a JSON body while the tokens counter has a listener.
    /// </summary>
    public static bool Watches(HttpResponseMessage response) =>
        response.IsSuccessStatusCode && response.Content is { } content && content.Headers.ContentType?.MediaType is { } media
        && (string.Equals(media, "text/event-stream", StringComparison.OrdinalIgnoreCase)
            || (FailoverMetrics.Tokens.Enabled && media.EndsWith("json", StringComparison.OrdinalIgnoreCase)));

    /// <param name="response">A response that passed as a success.</param>
    /// <param name="endpoint">Its endpoint's name, for the metric.</param>
    /// <param name="deploymentName">Its deployment's name at that endpoint, asked only when tokens are counted.</param>
    /// <param name="onBroken">Called once if a streamed body fails while the caller reads it.</param>
    /// <param name="cancellationToken">Cancels buffering a JSON body.</param>
    public static async Task AttachAsync(HttpResponseMessage response, string endpoint, Func<string> deploymentName, Action<Exception> onBroken, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode || response.Content is not { } content)
        {
            return;
        }

        var counting = FailoverMetrics.Tokens.Enabled;
        var media = content.Headers.ContentType?.MediaType;
        if (string.Equals(media, "text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            EventStreamTap.LineHandler? onData = null;
            if (counting)
            {
                var deployment = deploymentName();
                onData = line => Record(line, endpoint, deployment);
            }

            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var tapped = new StreamContent(new EventStreamTap(stream, onData, onBroken));
            foreach (var header in content.Headers)
            {
                tapped.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = tapped;
            return;
        }

        // Nobody listening to the tokens counter: no reason to read a single byte.
        if (counting && media is not null && media.EndsWith("json", StringComparison.OrdinalIgnoreCase) && content.Headers.ContentLength is null or <= MaxJsonBodyBytes)
        {
            await content.LoadIntoBufferAsync(MaxJsonBodyBytes, cancellationToken).ConfigureAwait(false);
            Record(await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), endpoint, deploymentName());
        }
    }

    private static void Record(ReadOnlySpan<byte> json, string endpoint, string deployment)
    {
        if (json.IndexOf("\"usage\""u8) < 0)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                var prompt = usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt64(out var pv) ? pv : 0;
                var completion = usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt64(out var cv) ? cv : 0;
                FailoverMetrics.RecordUsage(endpoint, deployment, prompt, completion);
            }
        }
        catch (JsonException)
        {
            // Usage is telemetry: a body it cannot read is the caller's to judge, not ours.
        }
    }

    /// <summary>
    /// Passes a server-sent event stream through, handing each complete <c>data:</c> line's JSON to a
    /// callback (when counting), and reporting the first read error (a cut after the headers).
    /// </summary>
    private sealed class EventStreamTap(Stream inner, EventStreamTap.LineHandler? onData, Action<Exception> onBroken) : Stream
    {
        private readonly byte[] _line = ArrayPool<byte>.Shared.Rent(MaxEventLineBytes);
        private int _length;
        private bool _overflow;
        private bool _disposed;
        private int _broken;

        public delegate void LineHandler(ReadOnlySpan<byte> json);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read;
            try
            {
                read = inner.Read(buffer);
            }
            catch (IOException ex)
            {
                Broken(ex);
                throw;
            }

            Scan(buffer[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Broken(ex);
                throw;
            }

            Scan(buffer.Span[..read]);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                inner.Dispose();
                ArrayPool<byte>.Shared.Return(_line);
            }

            base.Dispose(disposing);
        }

        private void Broken(IOException error)
        {
            if (!_disposed && Interlocked.Exchange(ref _broken, 1) == 0)
            {
                onBroken(error);
            }
        }

        private void Scan(ReadOnlySpan<byte> chunk)
        {
            if (_disposed || onData is null)
            {
                return;
            }

            while (!chunk.IsEmpty)
            {
                var newline = chunk.IndexOf((byte)'\n');
                var part = newline < 0 ? chunk : chunk[..newline];
                if (!_overflow && _length + part.Length <= _line.Length)
                {
                    part.CopyTo(_line.AsSpan(_length));
                    _length += part.Length;
                }
                else
                {
                    _overflow = true;
                }

                if (newline < 0)
                {
                    return;
                }

                if (!_overflow)
                {
                    var line = _line.AsSpan(0, _length).TrimEnd((byte)'\r');
                    if (line.StartsWith("data:"u8))
                    {
                        var data = line[5..].TrimStart((byte)' ');
                        if (!data.SequenceEqual("[DONE]"u8))
                        {
                            onData(data);
                        }
                    }
                }

                _length = 0;
                _overflow = false;
                chunk = chunk[(newline + 1)..];
            }
        }
    }
}
