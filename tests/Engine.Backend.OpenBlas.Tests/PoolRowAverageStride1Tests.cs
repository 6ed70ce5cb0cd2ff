namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The 3×3 s1 p1 average row by row in registers (<c>ENGINE_POOL_ROW_AVG_S1</c>, rows of more than one
/// and at most two vectors), forward and backward, against the plain per-position path, bit for bit,
/// at each width and through the dispatcher, switch on and off (and the sliding flat kernel under it on
/// and off): random numbers (another order of additions gives other bits), ties, NaNs, ±∞, ±0,
/// counting the padding or not; planes read in place and the tensor's last (copied); one and two rows;
/// parts of the planes writing nothing past their outputs.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolRowAverageStride1Tests
{
    /// <summary>(planes, height, width): rows of two vectors at 512 bits (17–32 columns), at 256 (9–16), at 128 (5–8), one row, two rows.</summary>
    public static TheoryData<int, int, int> Planes => new()
    {
        { 5, 28, 28 }, { 1, 28, 28 }, { 4, 9, 17 }, { 3, 7, 32 }, { 3, 5, 20 }, { 6, 1, 24 }, { 3, 2, 30 }, { 4, 6, 12 }, { 3, 5, 16 },
        { 4, 7, 6 }, { 3, 3, 8 }, { 5, 1, 5 }, { 4, 2, 9 },
    };

    [Theory]
    [MemberData(nameof(Planes))]
    public void ForwardAndBackwardAreThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatAverage(p));
        bool saved = PoolLines.RowAverageStride1, savedSlide = PoolLines.SlideAverage;
        try
        {
            foreach (var (rows, slide) in new[] { (true, true), (false, true), (false, false) })
            {
                PoolLines.RowAverageStride1 = rows;
                PoolLines.SlideAverage = slide;
                PoolFlatTests.AgainstThePlainPath(p, new Random(79 + height + width), PoolFlatTests.AverageWidths);
            }
        }
        finally
        {
            PoolLines.RowAverageStride1 = saved;
            PoolLines.SlideAverage = savedSlide;
        }
    }

    [Fact]
    public void PartsWriteOnlyTheirPlanesAndGiveTheWholesBits()
    {
        var rng = new Random(83);
        bool saved = PoolLines.RowAverageStride1;
        try
        {
            PoolLines.RowAverageStride1 = true;
            foreach (var (h, w) in new[] { (28, 28), (9, 17), (1, 24), (4, 12), (3, 6) })
            {
                PoolPlan p = PoolSimdTests.Plan((7, 1, h, w, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
                float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
                int area = h * w;
                foreach (var (forward, backward, name) in PoolFlatTests.AverageWidths)
                {
                    foreach (bool includePad in new[] { false, true })
                    {
                        float[] y = new float[(7 * area) + 64], dx = new float[(7 * area) + 64], yWhole = new float[7 * area], dxWhole = new float[7 * area];
                        Array.Fill(y, 7f);
                        Array.Fill(dx, 7f);
                        fixed (float* px = x, pdy = dy, py = y, pdx = dx, pyw = yWhole, pdxw = dxWhole)
                        {
                            forward(p, includePad, px, py, 2, 5);
                            backward(p, includePad, pdy, pdx, 2, 5);
                            Assert.All(y[..(2 * area)], v => Assert.Equal(7f, v));
                            Assert.All(y[(5 * area)..], v => Assert.Equal(7f, v));
                            Assert.All(dx[..(2 * area)], v => Assert.Equal(7f, v));
                            Assert.All(dx[(5 * area)..], v => Assert.Equal(7f, v));
                            forward(p, includePad, px, py, 0, 2);
                            backward(p, includePad, pdy, pdx, 0, 2);
                            forward(p, includePad, px, py, 5, 7);
                            backward(p, includePad, pdy, pdx, 5, 7);
                            forward(p, includePad, px, pyw, 0, 7);
                            backward(p, includePad, pdy, pdxw, 0, 7);
                        }
                        string what = $"{h}×{w} at {name} include pad {includePad} split 2-5, 0-2, 5-7";
                        PoolSimdTests.AssertBits(yWhole, y[..(7 * area)], "forward " + what);
                        PoolSimdTests.AssertBits(dxWhole, dx[..(7 * area)], "backward " + what);
                        Assert.All(y[(7 * area)..], v => Assert.Equal(7f, v));
                        Assert.All(dx[(7 * area)..], v => Assert.Equal(7f, v));
                    }
                }
            }
        }
        finally
        {
            PoolLines.RowAverageStride1 = saved;
        }
    }
}
