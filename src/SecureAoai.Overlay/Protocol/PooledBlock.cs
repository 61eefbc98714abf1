using System.Buffers;

namespace SecureAoai.Overlay.Protocol;

/// <summary>One block of <see cref="BlockPool.BlockBytes"/>; <see cref="Dispose"/> returns it to its pool, and a second return throws.</summary>
internal sealed class PooledBlock : IMemoryOwner<byte>
{
    private readonly BlockPool _pool;
    private int _rented;

    internal PooledBlock(BlockPool pool) => _pool = pool;

    /// <summary>Gets the block's bytes; valid only while the block is rented.</summary>
    public byte[] Array { get; } = new byte[BlockPool.BlockBytes];

    /// <inheritdoc/>
    public Memory<byte> Memory => Array;

    /// <summary>Returns the block to its pool.</summary>
    /// <exception cref="InvalidOperationException">The block was already returned.</exception>
    public void Dispose() => _pool.Return(this);

    internal void MarkRented() => Volatile.Write(ref _rented, 1);

    internal void MarkReturned()
    {
        if (Interlocked.Exchange(ref _rented, 0) != 1)
        {
            throw new InvalidOperationException("A pooled block was returned twice; two owners would share it.");
        }
    }
}
