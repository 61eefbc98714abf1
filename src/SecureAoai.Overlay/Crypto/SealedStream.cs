using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// An AES-256-GCM record layer over a stream whose carrier (a router) must not read or alter it. Built
/// by <see cref="E2eHandshake.RunAsync"/>.
/// </summary>
/// <remarks>
/// <para>Record: <c>[2-byte big-endian ciphertext length][ciphertext][16-byte tag]</c>, at most
/// <see cref="MaxRecordPlaintextBytes"/> of plaintext; the length bytes are the associated data. The
/// nonce is the direction's 4-byte prefix followed by an 8-byte big-endian sequence number that starts
/// at 0 and is never reused, so a replayed, reordered or dropped record fails authentication.</para>
/// <para>A zero-length record is the authenticated close: <see cref="CompleteWritesAsync"/> sends it
/// (and half-closes a <see cref="MuxStream"/> underneath), and the peer's reads then return 0. An inner
/// stream that ends without it, or any record that fails to authenticate, makes reads throw
/// <see cref="IOException"/> and the stream is dead from then on.</para>
/// <para>Buffers are rented for the operation that needs them, not for the stream's life: a write rents
/// one record's buffer while it runs; a read waits for a record's first bytes with a zero-byte read of
/// the inner stream, rents the record's buffer only then, opens the record in place, and gives the
/// buffer back, cleared, once its plaintext is read. So an idle stream with a read pending holds no
/// buffer. Each direction's <see cref="AesGcm"/> is reused, and steady-state reads and writes do not allocate.</para>
/// </remarks>
internal sealed class SealedStream : Stream
{
    /// <summary>Largest plaintext in one record.</summary>
    public const int MaxRecordPlaintextBytes = 16 * 1024;

    private const int LengthBytes = 2;
    private const int TagBytes = 16;
    private const int NonceBytes = 12;
    private const int MaxRecordBytes = LengthBytes + MaxRecordPlaintextBytes + TagBytes;
    private const int IncompleteRecord = -2;
    private const int ReadIdle = 0;
    private const int ReadRunning = 1;
    private const int ReadDisposed = 2;

    private readonly Stream _inner;
    private readonly AesGcm _seal;
    private readonly AesGcm _open;
    private readonly byte[] _sealPrefix;
    private readonly byte[] _openPrefix;
    private byte[]? _readRecord;
    private int _readState;
    private ulong _sealSequence;
    private ulong _openSequence;
    private int _readFilled;
    private int _plaintextOffset;
    private int _plaintextCount;
    private bool _peerClosed;
    private bool _writesCompleted;
    private IOException? _readFailure;
    private IOException? _writeFailure;
    private bool _disposed;

    internal SealedStream(Stream inner, ReadOnlySpan<byte> sealKey, ReadOnlySpan<byte> sealPrefix, ReadOnlySpan<byte> openKey, ReadOnlySpan<byte> openPrefix, X509Certificate2 peerCertificate)
    {
        _inner = inner;
        _seal = new AesGcm(sealKey, TagBytes);
        _open = new AesGcm(openKey, TagBytes);
        _sealPrefix = sealPrefix.ToArray();
        _openPrefix = openPrefix.ToArray();
        PeerCertificate = peerCertificate;
    }

    /// <summary>Gets the peer's verified identity certificate; disposed with this stream.</summary>
    public X509Certificate2 PeerCertificate { get; }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    /// <remarks>A read with an empty buffer waits until bytes arrive (or the stream ends) and returns 0, so a caller can wait without holding a buffer.</remarks>
    /// <exception cref="InvalidOperationException">Another read is still running on this stream.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        switch (Interlocked.CompareExchange(ref _readState, ReadRunning, ReadIdle))
        {
            case ReadDisposed:
                throw new ObjectDisposedException(nameof(SealedStream));
            case ReadRunning:
                throw new InvalidOperationException("A sealed stream takes one read at a time; await the previous read first.");
        }

        try
        {
            return await ReadOneAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Disposed while this read ran: the inner stream no longer writes into the record buffer, so it is this read's to give back.
            if (Interlocked.CompareExchange(ref _readState, ReadIdle, ReadRunning) == ReadDisposed)
            {
                ReleaseReadRecord(MaxRecordBytes);
            }
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>The read itself; only ever one at a time, so it alone touches <see cref="_readRecord"/> while it runs.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadOneAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_plaintextCount == 0)
        {
            if (_readFailure is not null)
            {
                throw new IOException(_readFailure.Message, _readFailure);
            }

            if (_peerClosed)
            {
                return 0;
            }

            if (_readFilled == 0)
            {
                // Nothing of the next record is here yet: wait for it without holding a buffer.
                try
                {
                    await _inner.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw FailRead($"The carrier stream failed: {ex.Message}", ex);
                }

                if (buffer.IsEmpty)
                {
                    return 0;
                }
            }

            _readRecord ??= ArrayPool<byte>.Shared.Rent(MaxRecordBytes);
            int length = await ReadRecordAsync(cancellationToken).ConfigureAwait(false);
            if (length < 0)
            {
                _peerClosed = true;
                ReleaseReadRecord(0);
                return 0;
            }

            if (buffer.Length >= length)
            {
                Open(length, buffer.Span);
                ReleaseReadRecord(0);
                return length;
            }

            // Opened in place: the plaintext stays in the record's buffer until it is read.
            Open(length, _readRecord.AsSpan(LengthBytes, length));
            _plaintextOffset = LengthBytes;
            _plaintextCount = length;
        }

        int count = Math.Min(_plaintextCount, buffer.Length);
        _readRecord.AsSpan(_plaintextOffset, count).CopyTo(buffer.Span);
        _plaintextOffset += count;
        _plaintextCount -= count;
        if (_plaintextCount == 0)
        {
            ReleaseReadRecord(_plaintextOffset);
        }

        return count;
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes were completed on this stream.");
        }

        if (buffer.IsEmpty)
        {
            return;
        }

        byte[] record = ArrayPool<byte>.Shared.Rent(LengthBytes + Math.Min(buffer.Length, MaxRecordPlaintextBytes) + TagBytes);
        try
        {
            while (!buffer.IsEmpty)
            {
                // Sealed and written here rather than through WriteRecordAsync: one state machine per write, not two.
                ThrowIfWriteFailed();
                int length = Math.Min(buffer.Length, MaxRecordPlaintextBytes);
                Seal(buffer.Span[..length], record);
                try
                {
                    await _inner.WriteAsync(record.AsMemory(0, LengthBytes + length + TagBytes), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
                {
                    FailWrite(ex);
                    throw;
                }

                buffer = buffer[length..];
            }
        }
        finally
        {
            // The inner stream is done with it: a write that returned or threw holds no reference.
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends the authenticated close record (the peer reads 0 after it) and half-closes the inner stream when it is a <see cref="MuxStream"/>. Reading stays possible.</summary>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writesCompleted)
        {
            return;
        }

        await WriteCloseRecordAsync(cancellationToken).ConfigureAwait(false);
        _writesCompleted = true;
        if (_inner is MuxStream mux)
        {
            await mux.CompleteWritesAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the stream both ways without the close record, so the peer's reads fail instead of ending
    /// cleanly: what was sent is incomplete and must not pass for a whole message. Resets a
    /// <see cref="MuxStream"/> underneath; <see cref="DisposeAsync"/> then sends nothing more.
    /// </summary>
    public void Abort(string reason)
    {
        var aborted = new IOException($"The stream was aborted: {reason}");
        _writeFailure ??= aborted;
        _readFailure ??= aborted;
        if (_inner is MuxStream mux)
        {
            mux.Abort(reason);
        }
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override void Flush()
    {
        // Every record is handed to the inner stream as it is sealed.
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Sealed streams are asynchronous only; use ReadAsync.");

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Sealed streams are asynchronous only; use WriteAsync.");

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Sends the close record when writes were not completed yet (so the peer sees a clean end, not a truncation), then disposes the inner stream.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed && !_writesCompleted && _writeFailure is null)
        {
            try
            {
                await CompleteWritesAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The inner stream is already gone; the peer sees a truncation, which is the truth.
            }
            catch (InvalidOperationException)
            {
                // The inner stream's writes were completed underneath us.
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _inner.Dispose();
            _seal.Dispose();
            _open.Dispose();

            // A read still running may have the record buffer in the inner stream's hands: it gives it
            // back itself when it ends. Returned now, the buffer could be written after another owner took it.
            if (Interlocked.Exchange(ref _readState, ReadDisposed) == ReadIdle)
            {
                ReleaseReadRecord(MaxRecordBytes);
            }
            PeerCertificate.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Seals and writes the close record (no plaintext).</summary>
    private async ValueTask WriteCloseRecordAsync(CancellationToken cancellationToken)
    {
        ThrowIfWriteFailed();
        byte[] record = ArrayPool<byte>.Shared.Rent(LengthBytes + TagBytes);
        try
        {
            Seal([], record);
            await _inner.WriteAsync(record.AsMemory(0, LengthBytes + TagBytes), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            FailWrite(ex);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    private void ThrowIfWriteFailed()
    {
        if (_writeFailure is not null)
        {
            throw new IOException(_writeFailure.Message, _writeFailure);
        }
    }

    /// <summary>Part of a record may be out: the sequence is broken, so no later record could be trusted.</summary>
    private void FailWrite(Exception error) =>
        _writeFailure = new IOException("A sealed record could not be written whole; the stream is closed for writing.", error);

    private void Seal(ReadOnlySpan<byte> plaintext, byte[] buffer)
    {
        if (_sealSequence == ulong.MaxValue)
        {
            throw new IOException("The record sequence is exhausted; open a new stream.");
        }

        Span<byte> record = buffer.AsSpan(0, LengthBytes + plaintext.Length + TagBytes);
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)plaintext.Length);
        Span<byte> nonce = stackalloc byte[NonceBytes];
        Nonce(_sealPrefix, _sealSequence++, nonce);
        _seal.Encrypt(nonce, plaintext, record.Slice(LengthBytes, plaintext.Length), record[(LengthBytes + plaintext.Length)..], record[..LengthBytes]);
    }

    /// <summary>
    /// Reads one whole record into <see cref="_readRecord"/>; resumable after a cancelled read. Returns the
    /// plaintext length, or -1 for the close record. Reads that the inner stream answers at once (a
    /// <see cref="MuxStream"/> with the bytes buffered) cost no state machine; the first that has to wait
    /// continues in <see cref="ReadRecordSlowAsync"/>.
    /// </summary>
    private ValueTask<int> ReadRecordAsync(CancellationToken cancellationToken)
    {
        // Every pass reads at least one byte or throws, and a record is at most MaxRecordBytes: the loop ends.
        while (true)
        {
            int length = TakeRecord(out int needed);
            if (length != IncompleteRecord)
            {
                return new ValueTask<int>(length);
            }

            ValueTask<int> read = ReadInner(needed, cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                return ReadRecordSlowAsync(read, cancellationToken);
            }

            Took(read.Result);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadRecordSlowAsync(ValueTask<int> pending, CancellationToken cancellationToken)
    {
        while (true)
        {
            int read;
            try
            {
                read = await pending.ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw FailRead($"The carrier stream failed: {ex.Message}", ex);
            }

            Took(read);
            int length = TakeRecord(out int needed);
            if (length != IncompleteRecord)
            {
                return length;
            }

            pending = ReadInner(needed, cancellationToken);
        }
    }

    /// <summary>Starts a read of the rest of the record (up to <paramref name="needed"/> bytes in all).</summary>
    private ValueTask<int> ReadInner(int needed, CancellationToken cancellationToken)
    {
        try
        {
            return _inner.ReadAsync(_readRecord.AsMemory(_readFilled, needed - _readFilled), cancellationToken);
        }
        catch (IOException ex)
        {
            throw FailRead($"The carrier stream failed: {ex.Message}", ex);
        }
    }

    private void Took(int read)
    {
        if (read == 0)
        {
            throw FailRead(_readFilled == 0
                ? "The carrier stream ended without the sealed close record; the data may have been truncated."
                : "The carrier stream ended in the middle of a sealed record.");
        }

        _readFilled += read;
    }

    /// <summary>
    /// The plaintext length of the whole record now in <see cref="_readRecord"/> (-1 for the close
    /// record, which it opens), or <see cref="IncompleteRecord"/> with the bytes the record needs in all.
    /// </summary>
    private int TakeRecord(out int needed)
    {
        needed = LengthBytes;
        if (_readFilled < LengthBytes)
        {
            return IncompleteRecord;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_readRecord);
        if (length > MaxRecordPlaintextBytes)
        {
            throw FailRead($"A sealed record announces {length} bytes; the limit is {MaxRecordPlaintextBytes}.");
        }

        needed = LengthBytes + length + TagBytes;
        if (_readFilled < needed)
        {
            return IncompleteRecord;
        }

        _readFilled = 0;
        return length == 0 ? OpenClose() : length;
    }

    private int OpenClose()
    {
        Open(0, []);
        return -1;
    }

    /// <summary>Opens the record in <see cref="_readRecord"/> into <paramref name="destination"/>, which may be the record's own ciphertext (in place).</summary>
    private void Open(int length, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceBytes];
        Nonce(_openPrefix, _openSequence, nonce);
        ReadOnlySpan<byte> record = _readRecord.AsSpan(0, LengthBytes + length + TagBytes);
        try
        {
            _open.Decrypt(nonce, record.Slice(LengthBytes, length), record[(LengthBytes + length)..], destination[..length], record[..LengthBytes]);
        }
        catch (CryptographicException ex)
        {
            throw FailRead("A sealed record failed authentication (tampered, replayed, reordered or dropped); the stream is aborted.", ex);
        }

        _openSequence++;
    }

    /// <summary>Clears the first <paramref name="usedBytes"/> of the record buffer (they held plaintext) and gives it back.</summary>
    private void ReleaseReadRecord(int usedBytes)
    {
        if (_readRecord is { } record)
        {
            _readRecord = null;
            CryptographicOperations.ZeroMemory(record.AsSpan(0, Math.Min(usedBytes, record.Length)));
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    private IOException FailRead(string message, Exception? inner = null)
    {
        _readFailure ??= new IOException(message, inner);
        if (_inner is MuxStream mux)
        {
            mux.Abort("The end-to-end sealed stream failed: " + message);
        }

        return _readFailure;
    }

    private static void Nonce(byte[] prefix, ulong sequence, Span<byte> nonce)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], sequence);
    }
}
