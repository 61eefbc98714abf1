using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Tests.Protocol;

/// <summary>The overlay's block pool: one owner per block, and a bounded number of free blocks kept.</summary>
public sealed class BlockPoolTests
{
    [Fact]
    public void Dispose_BlockReturnedTwice_ThrowsSoTwoOwnersNeverShareIt()
    {
        var pool = new BlockPool(maxRetainedBlocks: 4);
        PooledBlock block = pool.RentBlock();
        block.Dispose();

        Assert.Throws<InvalidOperationException>(block.Dispose);
        Assert.Equal(1, pool.RetainedBlocks);
    }

    [Fact]
    public void RentBlock_AfterReturn_ReusesTheBlockAndRentsItOnce()
    {
        var pool = new BlockPool(maxRetainedBlocks: 4);
        PooledBlock first = pool.RentBlock();
        first.Dispose();

        PooledBlock again = pool.RentBlock();
        PooledBlock other = pool.RentBlock();

        Assert.Same(first, again);
        Assert.NotSame(again, other);
        Assert.Equal(BlockPool.BlockBytes, again.Array.Length);
    }

    [Fact]
    public void Return_MoreThanMaxRetained_KeepsOnlyMaxRetained()
    {
        var pool = new BlockPool(maxRetainedBlocks: 3);
        PooledBlock[] blocks = [.. Enumerable.Range(0, 10).Select(_ => pool.RentBlock())];

        foreach (PooledBlock block in blocks)
        {
            block.Dispose();
        }

        Assert.Equal(3, pool.RetainedBlocks);
    }

    [Fact]
    public void Rent_LargerThanABlock_Throws()
    {
        var pool = new BlockPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(BlockPool.BlockBytes + 1));
    }
}
