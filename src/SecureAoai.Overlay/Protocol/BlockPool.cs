using System.Buffers;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// The blocks the overlay's data path holds bytes in: the frames a session has queued for its
/// transport, what a session has read from its transport and not yet parsed, and what a stream has
/// received and its application has not yet read. One pool for the process, of fixed-size blocks.
/// </summary>
/// <remarks>
/// <para><see cref="ArrayPool{T}.Shared"/> keeps only a few arrays of one size per core, far fewer than a
/// session has in flight (a 256 KiB window is 16 blocks per stream and hop), so past those every frame
/// allocated: about 5 KB per 16 KiB record on a bulk stream. This pool keeps up to
/// <see cref="MaxRetainedBlocks"/> free blocks (so at most <see cref="MaxRetainedBlocks"/> ×
/// <see cref="BlockBytes"/> of memory the process does not use), allocates past them, and never holds a
/// block for an idle stream: a stream or session with nothing buffered holds none.</para>
/// <para>Blocks carry frames as they cross the wire: ciphertext at the ends (the end-to-end seal is
/// above the mux), so a block is not cleared when it comes back.</para>
/// </remarks>
internal sealed class BlockPool : MemoryPool<byte>
{
    /// <summary>Size of every block: one sealed record (16 KiB of plaintext plus 18 bytes) fits one block, so it travels in one Data frame.</summary>
    public const int BlockBytes = 17 * 1024;

    /// <summary>Free blocks kept for reuse; past this, returned blocks are left to the garbage collector. 512 blocks are 8.5 MiB.</summary>
    public const int MaxRetainedBlocks = 512;

    private readonly PooledBlock[] _free;
    private readonly Lock _sync = new();
    private int _count;

    public BlockPool(int maxRetainedBlocks = MaxRetainedBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBlocks);
        _free = new PooledBlock[maxRetainedBlocks];
    }

    /// <summary>Gets the pool the overlay's sessions and streams share.</summary>
    public static BlockPool Overlay { get; } = new();

    /// <inheritdoc/>
    public override int MaxBufferSize => BlockBytes;

    /// <summary>Gets how many free blocks the pool holds now.</summary>
    internal int RetainedBlocks
    {
        get
        {
            lock (_sync)
            {
                return _count;
            }
        }
    }

    /// <inheritdoc/>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockBytes);
        return RentBlock();
    }

    /// <summary>Takes a block; dispose it (once) to give it back.</summary>
    public PooledBlock RentBlock()
    {
        PooledBlock? block = null;
        lock (_sync)
        {
            if (_count > 0)
            {
                block = _free[--_count];
                _free[_count] = null!;
            }
        }

        block ??= new PooledBlock(this);
        block.MarkRented();
        return block;
    }

    internal void Return(PooledBlock block)
    {
        // Throws if the block was already back: a second return would hand one block to two owners.
        block.MarkReturned();
        lock (_sync)
        {
            if (_count < _free.Length)
            {
                _free[_count++] = block;
            }
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        // The shared pool lives as long as the process; blocks still out are collected with their owners.
    }
}
