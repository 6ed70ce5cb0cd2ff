using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// The host collectives of ranks without MPI (<see cref="DeviceHostCollectives"/>), carried by a
/// device group's float32 sum only: three ranks (threads; the group's sum adds their buffers in rank
/// order, as the emulator's NCCL does) gather 64-bit values of every bit pattern exactly, and sum
/// doubles and take minima of longs with the bits an exact rank-order computation gives.
/// </summary>
public sealed class DeviceHostCollectivesTests
{
    private const int Ranks = 3;

    [Fact]
    public void GathersSumsAndMinimaAreExact()
    {
        ulong[][] gathered = new ulong[Ranks][];
        double[][] sums = new double[Ranks][];
        long[][] minima = new long[Ranks][];
        var group = new ThreadCommunicator.Group(Ranks);
        ThreadCommunicator.RunRanks(Ranks, rank =>
        {
            using IBackend backend = TestEngine.CreateBackend();
            var collectives = new DeviceHostCollectives(backend, new ThreadDeviceGroup(group, rank), rank, Ranks);
            gathered[rank] = collectives.Gather(Mine(rank));
            double[] values = Doubles(rank);
            collectives.Sum(values);
            sums[rank] = values;
            long[] least = Longs(rank);
            collectives.Min(least);
            minima[rank] = least;
            Assert.Empty(collectives.Gather([]));
        });
        ulong[] expected = [.. Enumerable.Range(0, Ranks).SelectMany(Mine)];
        double[] expectedSums = [.. Enumerable.Range(0, Doubles(0).Length).Select(i => Doubles(0)[i] + Doubles(1)[i] + Doubles(2)[i])];
        long[] expectedMinima = [.. Enumerable.Range(0, Longs(0).Length).Select(i => Enumerable.Range(0, Ranks).Min(r => Longs(r)[i]))];
        for (int rank = 0; rank < Ranks; rank++)
        {
            Assert.Equal(expected, gathered[rank]);
            Assert.Equal(expectedSums.Select(BitConverter.DoubleToInt64Bits), sums[rank].Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(expectedMinima, minima[rank]);
        }
        Assert.NotEqual(0.1 + 0.2 + 0.3, 0.3 + 0.2 + 0.1); // the order matters, and it is rank order
    }

    // Every 16-bit piece at its extremes, and values that differ between the ranks.
    private static ulong[] Mine(int rank) => [ulong.MaxValue, 0, 0x8000_0000_0000_0001UL, 0x0001_FFFF_0000_FFFFUL, (ulong)rank * 0x1234_5678_9ABC_DEF1UL];

    private static double[] Doubles(int rank) => [rank switch { 0 => 0.1, 1 => 0.2, _ => 0.3 }, -0.0, 1e308 / (rank + 1), double.Epsilon * (rank + 1), -rank * 7.25];

    private static long[] Longs(int rank) => [long.MaxValue - rank, rank == 1 ? long.MinValue : 5, -rank, long.MaxValue];

    // A device group whose sum adds the ranks' float32 buffers in rank order on the host.
    private sealed class ThreadDeviceGroup(ThreadCommunicator.Group group, int rank) : IDeviceGroup
    {
        public string Library => "threads";

        public void Sum(IReadOnlyList<Tensor> tensors)
        {
            foreach (Tensor tensor in tensors)
            {
                var mine = new float[tensor.ElementCount];
                tensor.Backend.CopyToHost<float>(tensor, mine);
                float[][] all = group.Exchange(rank, mine);
                var total = new float[mine.Length];
                for (int i = 0; i < total.Length; i++)
                {
                    total[i] = all[0][i];
                    for (int r = 1; r < all.Length; r++)
                    {
                        total[i] += all[r][i];
                    }
                }
                tensor.Backend.CopyFromHost<float>(total, tensor);
            }
        }

        public void Dispose()
        {
        }
    }
}
