using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// One overlay service bound for Kestrel: accepts its dials and hands each connection to the plain lane,
/// or, when the service serves HTTP/1.1 and HTTP/2, to the HTTP/2 lane if it opens with the HTTP/2 preface.
/// </summary>
internal sealed class OverlayServiceBinding : IAsyncDisposable
{
    /// <summary>How long a new connection may take to send the bytes that tell HTTP/1.1 from HTTP/2.</summary>
    private static readonly TimeSpan ProtocolSniffTimeout = TimeSpan.FromSeconds(30);

    private static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private readonly IOverlayListener _listener;
    private readonly bool _sniff;
    private readonly ILogger _logger;
    private readonly Channel<OverlayConnection> _plain = Channel.CreateUnbounded<OverlayConnection>();
    private readonly Channel<OverlayConnection> _http2 = Channel.CreateUnbounded<OverlayConnection>();
    private readonly CancellationTokenSource _stop = new();
    private readonly OverlayEndPoint _endPoint;
    private Task _acceptLoop = Task.CompletedTask;
    private long _connections;
    private int _unbound;

    public OverlayServiceBinding(IOverlayListener listener, bool sniff, ILogger logger)
    {
        _listener = listener;
        _sniff = sniff;
        _logger = logger;
        _endPoint = new OverlayEndPoint(listener.Service);
    }

    public string Service => _listener.Service;

    public bool IsBound => _listener.IsBound && Volatile.Read(ref _unbound) == 0;

    /// <summary>Listeners (Kestrel endpoints) using this binding.</summary>
    public int Lanes { get; set; }

    public void Start() => _acceptLoop = AcceptLoopAsync();

    public ChannelReader<OverlayConnection> Lane(bool http2) => http2 ? _http2.Reader : _plain.Reader;

    /// <summary>Stops accepting: unbinds at the router; connections already handed to Kestrel stay open.</summary>
    public async ValueTask UnbindAsync()
    {
        if (Interlocked.Exchange(ref _unbound, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        _plain.Writer.TryComplete();
        _http2.Writer.TryComplete();
        OverlayHostingLog.Unbound(_logger, Service);
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        foreach (var lane in new[] { _plain.Reader, _http2.Reader })
        {
            while (lane.TryRead(out var orphan))
            {
                await orphan.DisposeAsync().ConfigureAwait(false);
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            OverlayStream? stream;
            try
            {
                stream = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            catch (IOException ex)
            {
                // One dial failed before it became a connection; the next one may be fine.
                OverlayHostingLog.AcceptFailed(_logger, Service, ex.Message);
                continue;
            }

            if (stream is null)
            {
                // Unbound: the listener's normal end.
                return;
            }

            var id = $"overlay:{Service}:{Interlocked.Increment(ref _connections)}";
            OverlayHostingLog.Accepted(_logger, id, stream.Peer.Name, Service);
            var connection = new OverlayConnection(id, stream, _endPoint);
            if (_sniff)
            {
                // Concurrently: a client slow to send its first bytes must not hold up the next dial.
                _ = RouteAsync(connection);
            }
            else
            {
                await OfferAsync(_plain, connection).ConfigureAwait(false);
            }
        }
    }

    private async Task RouteAsync(OverlayConnection connection)
    {
        bool? http2;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(ProtocolSniffTimeout);
            http2 = await StartsWithHttp2PrefaceAsync(connection.Transport.Input, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            http2 = null;
        }

        if (http2 is null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await OfferAsync(http2.Value ? _http2 : _plain, connection).ConfigureAwait(false);
    }

    /// <summary>Reads until the first bytes match or rule out the preface, consuming nothing; null when the stream ends first.</summary>
    private static async ValueTask<bool?> StartsWithHttp2PrefaceAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var (length, matches) = MatchPreface(buffer);
            if (!matches || length == Http2Preface.Length)
            {
                // Leave every byte for Kestrel's first read, which then returns at once.
                input.AdvanceTo(buffer.Start);
                return matches;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return length == 0 ? null : false;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>How many of the first bytes were compared (up to the preface's length), and whether they are the preface's.</summary>
    private static (int Length, bool Matches) MatchPreface(in ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Http2Preface.Length);
        Span<byte> head = stackalloc byte[Http2Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        return (length, head[..length].SequenceEqual(Http2Preface[..length]));
    }

    private static async ValueTask OfferAsync(Channel<OverlayConnection> lane, OverlayConnection connection)
    {
        if (!lane.Writer.TryWrite(connection))
        {
            // Unbound meanwhile: nobody will accept it.
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
