using System.Buffers;
using System.Buffers.Binary;
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
/// <see cref="IOException"/> and the stream is dead from then on. Buffers are rented once per stream
/// and each direction's <see cref="AesGcm"/> is reused, so steady-state reads and writes do not allocate.</para>
/// </remarks>
internal sealed class SealedStream : Stream
{
    /// <summary>Largest plaintext in one record.</summary>
    public const int MaxRecordPlaintextBytes = 16 * 1024;

    private const int LengthBytes = 2;
    private const int TagBytes = 16;
    private const int NonceBytes = 12;
    private const int MaxRecordBytes = LengthBytes + MaxRecordPlaintextBytes + TagBytes;

    private readonly Stream _inner;
    private readonly AesGcm _seal;
    private readonly AesGcm _open;
    private readonly byte[] _sealPrefix;
    private readonly byte[] _openPrefix;
    private readonly byte[] _writeRecord = ArrayPool<byte>.Shared.Rent(MaxRecordBytes);
    private readonly byte[] _readRecord = ArrayPool<byte>.Shared.Rent(MaxRecordBytes);
    private readonly byte[] _plaintext = ArrayPool<byte>.Shared.Rent(MaxRecordPlaintextBytes);
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
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_plaintextCount == 0)
        {
            if (_readFailure is not null)
            {
                throw new IOException(_readFailure.Message, _readFailure);
            }

            if (_peerClosed || buffer.IsEmpty)
            {
                return 0;
            }

            int length = await ReadRecordAsync(cancellationToken).ConfigureAwait(false);
            if (length < 0)
            {
                _peerClosed = true;
                return 0;
            }

            if (buffer.Length >= length)
            {
                Open(length, buffer.Span);
                return length;
            }

            Open(length, _plaintext);
            _plaintextOffset = 0;
            _plaintextCount = length;
        }

        int count = Math.Min(_plaintextCount, buffer.Length);
        _plaintext.AsSpan(_plaintextOffset, count).CopyTo(buffer.Span);
        _plaintextOffset += count;
        _plaintextCount -= count;
        return count;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes were completed on this stream.");
        }

        while (!buffer.IsEmpty)
        {
            int length = Math.Min(buffer.Length, MaxRecordPlaintextBytes);
            await WriteRecordAsync(buffer[..length], cancellationToken).ConfigureAwait(false);
            buffer = buffer[length..];
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

        await WriteRecordAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
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
            ArrayPool<byte>.Shared.Return(_writeRecord);
            ArrayPool<byte>.Shared.Return(_readRecord, clearArray: true);
            ArrayPool<byte>.Shared.Return(_plaintext, clearArray: true);
            PeerCertificate.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask WriteRecordAsync(ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (_writeFailure is not null)
        {
            throw new IOException(_writeFailure.Message, _writeFailure);
        }

        int length = plaintext.Length;
        Seal(plaintext.Span);
        try
        {
            await _inner.WriteAsync(_writeRecord.AsMemory(0, LengthBytes + length + TagBytes), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // Part of the record may be out: the sequence is broken, so no later record could be trusted.
            _writeFailure = new IOException("A sealed record could not be written whole; the stream is closed for writing.", ex);
            throw;
        }
    }

    private void Seal(ReadOnlySpan<byte> plaintext)
    {
        if (_sealSequence == ulong.MaxValue)
        {
            throw new IOException("The record sequence is exhausted; open a new stream.");
        }

        Span<byte> record = _writeRecord.AsSpan(0, LengthBytes + plaintext.Length + TagBytes);
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)plaintext.Length);
        Span<byte> nonce = stackalloc byte[NonceBytes];
        Nonce(_sealPrefix, _sealSequence++, nonce);
        _seal.Encrypt(nonce, plaintext, record.Slice(LengthBytes, plaintext.Length), record[(LengthBytes + plaintext.Length)..], record[..LengthBytes]);
    }

    /// <summary>Reads one whole record into <see cref="_readRecord"/>; resumable after a cancelled read. Returns the plaintext length, or -1 for the close record.</summary>
    private async ValueTask<int> ReadRecordAsync(CancellationToken cancellationToken)
    {
        int needed = LengthBytes;
        for (int reads = 0; reads < MaxRecordBytes + 1; reads++)
        {
            if (_readFilled >= LengthBytes)
            {
                int length = BinaryPrimitives.ReadUInt16BigEndian(_readRecord);
                if (length > MaxRecordPlaintextBytes)
                {
                    throw FailRead($"A sealed record announces {length} bytes; the limit is {MaxRecordPlaintextBytes}.");
                }

                needed = LengthBytes + length + TagBytes;
                if (_readFilled == needed)
                {
                    _readFilled = 0;
                    return length == 0 ? OpenClose() : length;
                }
            }

            int read;
            try
            {
                read = await _inner.ReadAsync(_readRecord.AsMemory(_readFilled, needed - _readFilled), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw FailRead($"The carrier stream failed: {ex.Message}", ex);
            }

            if (read == 0)
            {
                throw FailRead(_readFilled == 0
                    ? "The carrier stream ended without the sealed close record; the data may have been truncated."
                    : "The carrier stream ended in the middle of a sealed record.");
            }

            _readFilled += read;
        }

        throw FailRead("A sealed record did not complete.");
    }

    private int OpenClose()
    {
        Open(0, []);
        return -1;
    }

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
