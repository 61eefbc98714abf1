namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// A stream the peer asked to open, waiting for the application to accept or reject it. The session
/// holds at most MaxPendingAccepts of these; the peer sees no OpenAck until <see cref="AcceptAsync"/>.
/// </summary>
internal sealed class MuxIncomingStream
{
    private readonly MuxStream _stream;
    private int _decided;

    internal MuxIncomingStream(MuxStream stream, byte[] metadata)
    {
        _stream = stream;
        Metadata = metadata;
    }

    /// <summary>
    /// Gets the opaque metadata the peer sent with Open (for example, a service name and dial options);
    /// empty once the stream is accepted or rejected, so a stream that stays open does not keep it
    /// (a dial's metadata carries its grant, some KiB).
    /// </summary>
    public ReadOnlyMemory<byte> Metadata { get; private set; }

    /// <summary>Gets the stream id on the wire.</summary>
    public uint StreamId => _stream.Id;

    /// <summary>Accepts the stream: sends OpenAck and returns it ready to read and write.</summary>
    /// <exception cref="IOException">The peer reset the stream or the session ended while it waited.</exception>
    /// <exception cref="InvalidOperationException">The stream was already accepted or rejected.</exception>
    public ValueTask<MuxStream> AcceptAsync()
    {
        Decide();
        _stream.Accept();
        return ValueTask.FromResult(_stream);
    }

    /// <summary>
    /// Refuses the stream with a reason code, which the opener decides by (its OpenStreamAsync throws a
    /// <see cref="MuxStreamRejectedException"/> carrying both); <paramref name="reason"/> is for people.
    /// There is no refusal without a code.
    /// </summary>
    public ValueTask RejectAsync(ReasonCode code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Decide();
        _stream.Abort(code, reason);
        return ValueTask.CompletedTask;
    }

    /// <summary>Gets whether the opener already gave up (reset the Open) or the session ended: nothing left to decide for.</summary>
    internal bool IsAbandoned => _stream.IsDead;

    private void Decide()
    {
        if (Interlocked.Exchange(ref _decided, 1) != 0)
        {
            throw new InvalidOperationException($"Stream {StreamId} was already accepted or rejected.");
        }

        Metadata = ReadOnlyMemory<byte>.Empty;
    }
}
