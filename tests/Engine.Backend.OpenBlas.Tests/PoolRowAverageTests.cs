using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// 3×3 s2 p1 average pooling forward straight from the input rows (<see cref="PoolLines.RowAverageStride2Forward{TOps, TF, TI}"/>)
/// against the plain per-position path, bit for bit, at each width and through the dispatcher with
/// <c>ENGINE_POOL_ROW_AVG_S2</c> on and off: random numbers (another order of additions gives other
/// bits), ties, NaNs, ±∞, ±0; rows that are whole vectors, rows ending in an overlapping vector,
/// rows narrower than a vector; parts of the planes, writing nothing past their last output.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolRowAverageTests
{
    private delegate void AverageForward(in PoolPlan p, bool includePad, float* x, float* y, int first, int end);

    private static readonly (AverageForward Forward, string Width)[] Kernels =
    [
        (PoolLines.RowAverageStride2Forward<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.RowAverageStride2Forward<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.RowAverageStride2Forward<Pool128, Vector128<float>, Vector128<int>>, "128"),
        ((in PoolPlan p, bool i, float* x, float* y, int f, int e) => PoolLines.Forward(p, false, i, x, y, f, e), "dispatch"),
    ];

    /// <summary>Even planes (planes, height, width): ResNet-18's 112×112, 56×56, outputs of 17, 20, 24, 33 columns (overlapping last vectors), 1, 3, 5 (narrow), thin.</summary>
    public static TheoryData<int, int, int> Planes => new()
    {
        { 1, 112, 112 }, { 3, 56, 56 }, { 2, 6, 34 }, { 2, 4, 40 }, { 2, 6, 48 }, { 2, 4, 66 }, { 2, 2, 2 }, { 3, 4, 6 }, { 2, 8, 10 }, { 2, 36, 2 }, { 3, 2, 40 },
    };

    [Theory]
    [MemberData(nameof(Planes))]
    public void ForwardIsThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatAverageStride2(p));
        var rng = new Random(53 + width + height);
        bool saved = PoolLines.RowAverageStride2;
        try
        {
            foreach (bool plainData in new[] { true, false })
            {
                float[] x = plainData ? PoolSimdTests.Random(rng, p.Planes * p.InVolume) : PoolLinesTests.Data(rng, p.Planes * p.InVolume);
                foreach (bool includePad in new[] { false, true })
                {
                    float[] y = new float[p.Planes * p.OutVolume];
                    PoolingKernels.PoolForwardKernel(p, false, includePad, x, y);
                    foreach (bool on in new[] { true, false })
                    {
                        PoolLines.RowAverageStride2 = on;
                        foreach (var (forward, name) in Kernels)
                        {
                            float[] actual = PoolSimdTests.Random(rng, y.Length + 16);
                            float[] after = actual[y.Length..];
                            fixed (float* px = x, py = actual)
                            {
                                forward(p, includePad, px, py, 0, p.Planes);
                            }
                            string what = $"{p.Planes}×{p.InH}×{p.InW} include pad {includePad} plain data {plainData} at {name}, switch {on}";
                            PoolSimdTests.AssertBits(y, actual[..y.Length], "forward " + what);
                            PoolSimdTests.AssertBits(after, actual[y.Length..], "past the outputs " + what);
                        }
                    }
                }
            }
        }
        finally
        {
            PoolLines.RowAverageStride2 = saved;
        }
    }

    [Fact]
    public void PartsWriteOnlyTheirPlanesAndGiveTheWholesBits()
    {
        var rng = new Random(59);
        foreach (var (h, w) in new[] { (112, 112), (6, 34), (4, 6) })
        {
            PoolPlan p = PoolSimdTests.Plan((5, 1, h, w, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
            float[] x = PoolSimdTests.Random(rng, p.Planes * p.InVolume);
            int area = p.OutVolume;
            float[] y = new float[(5 * area) + 16], whole = new float[5 * area];
            foreach (var (forward, name) in Kernels[..3])
            {
                Array.Fill(y, 7f);
                fixed (float* px = x, py = y, pw = whole)
                {
                    forward(p, false, px, py, 1, 3);
                    Assert.All(y[..area], v => Assert.Equal(7f, v));
                    Assert.All(y[(3 * area)..], v => Assert.Equal(7f, v));
                    forward(p, false, px, py, 0, 1);
                    forward(p, false, px, py, 3, 5);
                    forward(p, false, px, pw, 0, 5);
                }
                PoolSimdTests.AssertBits(whole, y[..(5 * area)], $"{h}×{w} at {name} in parts 0-1, 1-3, 3-5");
                Assert.All(y[(5 * area)..], v => Assert.Equal(7f, v));
            }
        }
    }
}
