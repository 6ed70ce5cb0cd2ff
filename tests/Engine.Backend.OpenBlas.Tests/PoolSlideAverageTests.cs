using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The flat 3×3 s1 p1 average's sliding runs (<c>ENGINE_POOL_SLIDE_AVG</c>: three loads per output
/// vector, the neighbours moved in by a lane, x read where it lies with row 0 and row H − 1 set aside
/// by masks) against the plain per-position path, bit for bit, forward and backward, at each width and
/// through the dispatcher, switch on and off: random numbers (another order of additions gives other
/// bits) and ties, NaNs, ±∞, ±0 (a NaN in a neighbouring plane must not reach a row-0 or row H − 1
/// window); planes enough that the middle ones are read in place; parts of the planes.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolSlideAverageTests
{
    /// <summary>3×3 s1 p1 planes (planes, height, width): Inception's 28×28, odd and thin ones, rows wider than a vector, one row, planes smaller than a vector.</summary>
    public static TheoryData<int, int, int> Planes => new()
    {
        { 5, 28, 28 }, { 1, 28, 28 }, { 6, 9, 17 }, { 4, 33, 31 }, { 5, 3, 20 }, { 4, 2, 40 }, { 5, 40, 2 }, { 4, 1, 50 }, { 6, 7, 16 },
        { 5, 16, 16 }, { 5, 6, 6 }, { 5, 1, 5 }, { 4, 1, 1 }, { 3, 14, 14 },
    };

    [Theory]
    [MemberData(nameof(Planes))]
    public void ForwardAndBackwardAreThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatAverage(p));
        bool saved = PoolLines.SlideAverage, savedRows = PoolLines.RowAverageStride1;
        try
        {
            // Rows of two vectors would go row by row (PoolRowAverageStride1Tests): the flat kernels here.
            PoolLines.RowAverageStride1 = false;
            foreach (bool on in new[] { true, false })
            {
                PoolLines.SlideAverage = on;
                PoolFlatTests.AgainstThePlainPath(p, new Random(61 + height + width), PoolFlatTests.AverageWidths);
            }
        }
        finally
        {
            PoolLines.SlideAverage = saved;
            PoolLines.RowAverageStride1 = savedRows;
        }
    }

    [Fact]
    public void PartsWriteOnlyTheirPlanesAndGiveTheWholesBits()
    {
        var rng = new Random(67);
        bool saved = PoolLines.SlideAverage, savedRows = PoolLines.RowAverageStride1;
        try
        {
            PoolLines.SlideAverage = true;
            PoolLines.RowAverageStride1 = false;
            foreach (var (h, w) in new[] { (28, 28), (9, 17), (1, 5), (16, 16) })
            {
                PoolPlan p = PoolSimdTests.Plan((7, 1, h, w, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
                float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
                int area = h * w;
                foreach (var (forward, backward, name) in PoolFlatTests.AverageWidths)
                {
                    float[] y = new float[(7 * area) + 16], dx = new float[(7 * area) + 16], yWhole = new float[7 * area], dxWhole = new float[7 * area];
                    Array.Fill(y, 7f);
                    Array.Fill(dx, 7f);
                    fixed (float* px = x, pdy = dy, py = y, pdx = dx, pyw = yWhole, pdxw = dxWhole)
                    {
                        forward(p, true, px, py, 2, 5);
                        backward(p, true, pdy, pdx, 2, 5);
                        Assert.All(y[..(2 * area)], v => Assert.Equal(7f, v));
                        Assert.All(y[(5 * area)..], v => Assert.Equal(7f, v));
                        Assert.All(dx[..(2 * area)], v => Assert.Equal(7f, v));
                        Assert.All(dx[(5 * area)..], v => Assert.Equal(7f, v));
                        forward(p, true, px, py, 0, 2);
                        backward(p, true, pdy, pdx, 0, 2);
                        forward(p, true, px, py, 5, 7);
                        backward(p, true, pdy, pdx, 5, 7);
                        forward(p, true, px, pyw, 0, 7);
                        backward(p, true, pdy, pdxw, 0, 7);
                    }
                    PoolSimdTests.AssertBits(yWhole, y[..(7 * area)], $"forward {h}×{w} at {name} split 2-5, 0-2, 5-7");
                    PoolSimdTests.AssertBits(dxWhole, dx[..(7 * area)], $"backward {h}×{w} at {name} split 2-5, 0-2, 5-7");
                    Assert.All(y[(7 * area)..], v => Assert.Equal(7f, v));
                    Assert.All(dx[(7 * area)..], v => Assert.Equal(7f, v));
                }
            }
        }
        finally
        {
            PoolLines.SlideAverage = saved;
            PoolLines.RowAverageStride1 = savedRows;
        }
    }
}
