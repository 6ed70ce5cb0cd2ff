namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// 1×1 pooling windows (<see cref="PoolPointwise"/>: ResNet-20's option-A shortcut subsample) against
/// the plain per-position path, bit for bit, max and average, on strides 1 to 3, odd sizes and 3-D,
/// with NaNs and signed zeros in x and dy; stride 2 across by vectors (<see cref="PoolPointwise.VectorRows"/>) and by the scalar loop.
/// </summary>
public sealed unsafe class PoolPointwiseTests
{
    // (planes, depth, height, width, kernel d/h/w, stride d/h/w, pad h/w, extra pad after h/w, dilation h/w)
    private static readonly (int Planes, int D, int H, int W, int KD, int KH, int KW, int SD, int SH, int SW, int PH, int PW, int AfterH, int AfterW, int DH, int DW)[] Shapes =
    [
        (5, 1, 32, 32, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1),   // ResNet-20 shortcut: 1×1 s2
        (4, 1, 16, 16, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1),   // ResNet-20's second shortcut: 8 outputs a row
        (2, 1, 6, 48, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1),    // 24 outputs a row: a step of 16, then of 8
        (2, 1, 5, 35, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1),    // 18 outputs a row: a step of 16, then two one by one
        (3, 1, 15, 17, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1),   // odd sizes: the last row and column are sampled
        (2, 1, 10, 11, 1, 1, 1, 1, 3, 1, 0, 0, 0, 0, 1, 1),   // stride 3 down, 1 across
        (2, 3, 8, 9, 1, 1, 1, 2, 2, 3, 0, 0, 0, 0, 1, 1),     // 3-D
    ];

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void ForwardAndBackwardAreBitIdenticalToThePlainPath(bool max, bool vectorRows)
    {
        bool saved = PoolPointwise.VectorRows;
        PoolPointwise.VectorRows = vectorRows;
        try
        {
            Check(max);
        }
        finally
        {
            PoolPointwise.VectorRows = saved;
        }
    }

    private static void Check(bool max)
    {
        var rng = new Random(21);
        foreach (var shape in Shapes)
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            Assert.True(PoolPointwise.Takes(p), shape.ToString());
            float[] x = PoolSimdTests.Data(rng, p.Planes * p.InVolume);
            var expected = new float[p.Planes * p.OutVolume];
            PoolingKernels.PoolForwardKernel(p, max, false, x, expected);
            var actual = new float[expected.Length];
            float[] dy = PoolSimdTests.Data(rng, expected.Length);
            var dxExpected = new float[x.Length];
            PoolingKernels.PoolBackwardKernel(p, max, false, x, dy, dxExpected);
            float[] dxActual = PoolSimdTests.Random(rng, x.Length); // overwritten
            fixed (float* px = x, py = actual, pdy = dy, pdx = dxActual)
            {
                PoolPointwise.Forward(p, max, px, py);
                PoolPointwise.Backward(p, pdy, pdx);
            }
            PoolSimdTests.AssertBits(expected, actual, shape.ToString());
            PoolSimdTests.AssertBits(dxExpected, dxActual, shape.ToString());
        }
    }
}
