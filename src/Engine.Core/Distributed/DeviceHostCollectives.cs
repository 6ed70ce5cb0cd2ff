namespace Engine.Core.Distributed;

/// <summary>
/// The trainer's small host collectives (configuration hashes, loss and accuracy sums, synchronised
/// batch-norm statistics) for ranks that share no MPI group (<c>engine train --nproc</c>): carried
/// by the device group's one primitive, the in-place float32 sum (NCCL's all-reduce), on a small
/// device buffer. A gather is exact through it: each 64-bit value travels as four 16-bit pieces,
/// each a float32 integer, in its rank's own place of a buffer that is zero elsewhere, so every sum
/// adds one piece to zeros. Sums and minima are then computed on the host from the gathered
/// values, in rank order: every rank computes the same bits (the order MPI's reduction would use
/// for two ranks; any fixed order for more). Each call waits for the device (a few small copies).
/// </summary>
internal sealed class DeviceHostCollectives(IBackend backend, IDeviceGroup group, int rank, int size)
{
    private const int PiecesPerValue = 4;

    /// <summary>Every rank's <paramref name="values"/> (the same count on each), rank after rank.</summary>
    public ulong[] Gather(ReadOnlySpan<ulong> values)
    {
        int count = values.Length;
        if (count == 0)
        {
            return [];
        }
        var pieces = new float[size * count * PiecesPerValue];
        for (int i = 0; i < count; i++)
        {
            for (int p = 0; p < PiecesPerValue; p++)
            {
                pieces[(((rank * count) + i) * PiecesPerValue) + p] = (ushort)(values[i] >> (16 * p));
            }
        }
        using (Tensor buffer = backend.Allocate(new Shape(pieces.Length)))
        {
            backend.CopyFromHost<float>(pieces, buffer);
            group.Sum([buffer]);
            backend.CopyToHost<float>(buffer, pieces);
        }
        var all = new ulong[size * count];
        for (int j = 0; j < all.Length; j++)
        {
            for (int p = 0; p < PiecesPerValue; p++)
            {
                all[j] |= (ulong)pieces[(j * PiecesPerValue) + p] << (16 * p);
            }
        }
        return all;
    }

    /// <summary>Replaces each value by its sum over the ranks, added in rank order.</summary>
    public void Sum(Span<double> values)
    {
        ulong[] all = GatherBits(values);
        for (int i = 0; i < values.Length; i++)
        {
            double total = BitConverter.UInt64BitsToDouble(all[i]);
            for (int r = 1; r < size; r++)
            {
                total += BitConverter.UInt64BitsToDouble(all[(r * values.Length) + i]);
            }
            values[i] = total;
        }
    }

    /// <summary>Replaces each value by its minimum over the ranks.</summary>
    public void Min(Span<long> values)
    {
        var bits = new ulong[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = (ulong)values[i];
        }
        ulong[] all = Gather(bits);
        for (int i = 0; i < values.Length; i++)
        {
            long least = values[i];
            for (int r = 0; r < size; r++)
            {
                least = Math.Min(least, (long)all[(r * values.Length) + i]);
            }
            values[i] = least;
        }
    }

    /// <summary>An in-place float32 sum of <paramref name="buffer"/> over the ranks by the device group itself (blocking).</summary>
    public void Sum(float[] buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }
        using Tensor device = backend.Allocate(new Shape(buffer.Length));
        backend.CopyFromHost<float>(buffer, device);
        group.Sum([device]);
        backend.CopyToHost<float>(device, buffer);
    }

    private ulong[] GatherBits(ReadOnlySpan<double> values)
    {
        var bits = new ulong[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.DoubleToUInt64Bits(values[i]);
        }
        return Gather(bits);
    }
}
