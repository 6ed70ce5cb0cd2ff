namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The dropout mask eight counters a step (<see cref="RandomKernels.VectorMask"/>) against the reference generator
/// (<see cref="CounterRandom.Uniform"/> ≥ p) element by element, bit for bit: lengths that are and are not multiples of
/// eight, probabilities whose p·2⁵³ is and is not a whole number, seeds at the ends of the range; and the scalar loop alike.
/// </summary>
public sealed unsafe class DropoutMaskTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MaskEqualsTheReferenceGenerator(bool vector)
    {
        bool saved = RandomKernels.VectorMask;
        RandomKernels.VectorMask = vector;
        try
        {
            foreach (int count in new[] { 1, 7, 8, 9, 1000, 4099 })
            {
                foreach (double p in new[] { 0.0, 0.1, 0.5, 1.0 / 3, 0.9, 1 - Math.Pow(2, -53) })
                {
                    foreach (ulong seed in new[] { 0UL, 1UL, 12345UL, ulong.MaxValue })
                    {
                        float[] mask = new float[count];
                        fixed (float* m = mask)
                        {
                            RandomKernels.DropoutMask(DataType.Float32, (nint)m, count, p, seed);
                        }
                        float kept = (float)(1.0 / (1.0 - p));
                        for (int i = 0; i < count; i++)
                        {
                            float expected = CounterRandom.Uniform(seed, (ulong)i) >= p ? kept : 0f;
                            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(mask[i]),
                                $"count {count}, p {p}, seed {seed}, element {i}: {mask[i]} instead of {expected}");
                        }
                    }
                }
            }
        }
        finally
        {
            RandomKernels.VectorMask = saved;
        }
    }
}
