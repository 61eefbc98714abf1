using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>One accepted overlay stream as Kestrel sees it: a duplex pipe over the sealed stream, and the caller as a feature.</summary>
internal sealed class OverlayConnection : ConnectionContext, IOverlayConnectionFeature
{
    private readonly OverlayStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly CancellationTokenSource _closed = new();
    private int _disposed;
    private int _abortedOnError;

    public OverlayConnection(string connectionId, OverlayStream stream, OverlayEndPoint localEndPoint)
    {
        ConnectionId = connectionId;
        _stream = stream;
        // The streams stay open when Kestrel completes the pipes: DisposeAsync closes them, after
        // Kestrel is done with both directions, so no read is pending when the stream goes away.
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        Transport = new DuplexPipe(_input, _output);
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = new OverlayEndPoint(stream.Service, stream.Peer.Name);
        ConnectionClosed = _closed.Token;
        Features.Set<IOverlayConnectionFeature>(this);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();

    public override IDuplexPipe Transport { get; set; }

    public OverlayCaller Caller => _stream.Peer;

    public string Service => _stream.Service;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        // Kestrel passes no reason for a graceful end (the peer finished, or the response is complete)
        // and one for a failure: a request or response cut short. That one must reach the caller as a
        // reset, not as the authenticated clean close that says "this is all of it".
        if (abortReason is not null)
        {
            Volatile.Write(ref _abortedOnError, 1);
        }

        // Wake a pending read so Kestrel winds the connection down; the stream itself is closed in DisposeAsync.
        _input.CancelPendingRead();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing left to signal.
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await CloseAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask CloseAsync()
    {
        if (Volatile.Read(ref _abortedOnError) != 0)
        {
            // Before the pipes complete: a flush of what is left would otherwise still go out as a clean end.
            _stream.Abort();
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Flushing the last bytes failed: the peer is gone, which DisposeAsync of the stream will see too.
        }

        try
        {
            // Sends the authenticated close (a clean end for the peer) unless aborted above, then releases the stream.
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The router or peer is already gone.
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        _closed.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
