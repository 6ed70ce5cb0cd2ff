using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

public sealed class BatchShardTests
{
    [Theory]
    [InlineData(100, 64, 2)]
    [InlineData(100, 64, 4)]
    [InlineData(67, 64, 4)] // a last global batch of 3 examples: rank 3 reads nothing in it
    [InlineData(130, 12, 3)]
    public void TheRanksSlicesOfEachGlobalBatchAreTheOneProcessOrder(int examples, int globalBatch, int ranks)
    {
        int[] order = Enumerable.Range(0, examples).Select(i => (i * 37) % examples).ToArray();
        var local = new int[ranks][];
        for (int r = 0; r < ranks; r++)
        {
            local[r] = new int[examples];
            Array.Resize(ref local[r], BatchShard.Local(order, globalBatch, r, ranks, local[r]));
        }
        var rebuilt = new List<int>();
        int perRank = globalBatch / ranks;
        for (int first = 0, step = 0; first < examples; first += globalBatch, step++)
        {
            int batch = Math.Min(globalBatch, examples - first);
            for (int r = 0; r < ranks; r++)
            {
                (_, int count) = BatchShard.Slice(batch, r, ranks);
                Assert.InRange(count, batch / ranks, (batch / ranks) + 1);
                rebuilt.AddRange(local[r].Skip(step * perRank).Take(count)); // each rank's loader cuts its part in batches of perRank
            }
        }
        Assert.Equal(order, rebuilt);
    }
}
