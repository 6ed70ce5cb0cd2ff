using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The vectorised pooling of any window (<see cref="PoolSimd"/>) at each width (AVX-512, AVX2,
/// portable; a width the CPU lacks runs in the runtime's software fallback) against the plain
/// per-position path, bit for bit: the windows of ResNet's stem, GoogLeNet, Inception, global
/// average pooling, dilation, ceil mode and padding, on rows wide and narrow enough to exercise the
/// edge columns and the overlapping last vector, on data full of ties, NaNs and signed zeros.
/// </summary>
public sealed unsafe class PoolSimdTests
{
    // (planes, depth, height, width, kernel d/h/w, stride d/h/w, pad before h/w, extra pad after h/w, dilation h/w)
    private static readonly (int Planes, int D, int H, int W, int KD, int KH, int KW, int SD, int SH, int SW, int PH, int PW, int AfterH, int AfterW, int DH, int DW)[] Shapes =
    [
        (3, 1, 56, 56, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1),   // ResNet stem: 3×3 s2 p1
        (2, 1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),   // GoogLeNet: 3×3 s1 p1
        (2, 1, 35, 37, 1, 3, 3, 1, 2, 2, 0, 0, 0, 0, 1, 1),   // 3×3 s2 without padding, odd sizes
        (2, 1, 30, 41, 1, 3, 3, 1, 2, 2, 0, 0, 1, 1, 1, 1),   // ceil mode: one more output past the end
        (2, 1, 7, 7, 1, 7, 7, 1, 1, 1, 0, 0, 0, 0, 1, 1),     // global 7×7 (ResNet head)
        (13, 1, 5, 5, 1, 5, 5, 1, 1, 1, 0, 0, 0, 0, 1, 1),    // global: eight planes side by side, then one at a time
        (2, 1, 20, 40, 1, 2, 2, 1, 1, 1, 0, 0, 0, 0, 1, 1),   // 2×2 stride 1
        (2, 1, 19, 45, 1, 3, 5, 1, 3, 3, 1, 2, 0, 0, 1, 1),   // stride 3, rectangular window
        (2, 1, 24, 50, 1, 3, 3, 1, 1, 2, 2, 2, 0, 0, 2, 2),   // dilation 2
        (2, 1, 9, 23, 1, 5, 5, 1, 1, 1, 2, 2, 0, 0, 1, 1),    // 5×5 s1 p2 (Inception)
        (2, 1, 6, 6, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),     // narrower than any vector
        (2, 5, 12, 36, 3, 3, 3, 2, 2, 2, 1, 1, 0, 0, 1, 1),   // 3-D 3×3×3 s2 (depth padding 0)
    ];

    internal delegate void ForwardAt(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end);

    internal delegate void BackwardAt(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end);

    private static readonly ForwardAt[] Forwards =
    [
        PoolSimd.Forward<Pool512, Vector512<float>, Vector512<int>>,
        PoolSimd.Forward<Pool256, Vector256<float>, Vector256<int>>,
        PoolSimd.Forward<Pool128, Vector128<float>, Vector128<int>>,
        PoolSimd.Forward,
    ];

    private static readonly BackwardAt[] Backwards =
    [
        PoolSimd.Backward<Pool512, Vector512<float>, Vector512<int>>,
        PoolSimd.Backward<Pool256, Vector256<float>, Vector256<int>>,
        PoolSimd.Backward<Pool128, Vector128<float>, Vector128<int>>,
        PoolSimd.Backward,
    ];

    public static TheoryData<bool, bool> Modes => new() { { true, false }, { false, false }, { false, true } };

    [Theory]
    [MemberData(nameof(Modes))]
    public void ForwardIsBitIdenticalToThePlainPathAtEveryWidth(bool max, bool includePad)
    {
        var rng = new Random(11);
        foreach (var shape in Shapes)
        {
            PoolPlan p = Plan(shape);
            float[] x = Data(rng, p.Planes * p.InVolume);
            var expected = new float[p.Planes * p.OutVolume];
            PoolingKernels.PoolForwardKernel(p, max, includePad, x, expected);
            foreach (ForwardAt forward in Forwards)
            {
                var actual = new float[expected.Length];
                fixed (float* px = x, py = actual)
                {
                    forward(p, max, includePad, px, py, 0, p.Planes);
                }
                AssertBits(expected, actual, shape.ToString());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void BackwardIsBitIdenticalToThePlainPathAtEveryWidth(bool max, bool includePad)
    {
        var rng = new Random(12);
        foreach (var shape in Shapes)
        {
            PoolPlan p = Plan(shape);
            float[] x = Data(rng, p.Planes * p.InVolume);
            float[] dy = Random(rng, p.Planes * p.OutVolume);
            var expected = new float[x.Length];
            PoolingKernels.PoolBackwardKernel(p, max, includePad, x, dy, expected);
            foreach (BackwardAt backward in Backwards)
            {
                float[] actual = Random(rng, x.Length); // overwritten, not accumulated into
                fixed (float* px = x, pdy = dy, pdx = actual)
                {
                    backward(p, max, includePad, px, pdy, pdx, 0, p.Planes);
                }
                AssertBits(expected, actual, shape.ToString());
            }
        }
    }

    [Fact]
    public void MaxBackwardSendsATieToTheFirstMaximumInScanOrder()
    {
        // One 3×3 s1 window row over constant data: every window ties everywhere, so each output's
        // gradient goes to its window's top-left element.
        PoolPlan p = Plan((1, 1, 3, 20, 1, 3, 3, 1, 1, 1, 0, 0, 0, 0, 1, 1));
        var x = new float[p.InVolume];
        Array.Fill(x, 2f);
        var dy = new float[p.OutVolume];
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = i + 1;
        }
        foreach (BackwardAt backward in Backwards)
        {
            var dx = new float[x.Length];
            fixed (float* px = x, pdy = dy, pdx = dx)
            {
                backward(p, true, false, px, pdy, pdx, 0, 1);
            }
            for (int w = 0; w < p.InW; w++)
            {
                Assert.Equal(w < p.OutW ? w + 1 : 0, dx[w]);
            }
            Assert.All(dx[p.InW..], v => Assert.Equal(0, v));
        }
    }

    internal static PoolPlan Plan((int Planes, int D, int H, int W, int KD, int KH, int KW, int SD, int SH, int SW, int PH, int PW, int AfterH, int AfterW, int DH, int DW) s)
    {
        var window = new ConvolutionGeometry([s.KD, s.KH, s.KW], [s.SD, s.SH, s.SW], [0, s.PH, s.PW],
            [0, s.PH + s.AfterH, s.PW + s.AfterW], [1, s.DH, s.DW]);
        return PoolPlan.Create(new PoolingGeometry(PoolingMode.Max, window), new Shape(1, s.Planes, s.D, s.H, s.W));
    }

    // Few distinct values (many ties), some NaNs and signed zeros.
    internal static float[] Data(Random rng, int n)
    {
        float[] levels = [-1f, -0f, 0f, 0.5f, 2f, float.NaN, -3f, 1.25f];
        var data = new float[n];
        for (int i = 0; i < n; i++)
        {
            int pick = rng.Next(100);
            data[i] = pick < 40 ? levels[rng.Next(levels.Length - 1)] : pick < 41 ? float.NaN : (float)rng.NextDouble() * 4 - 2;
        }
        return data;
    }

    internal static float[] Random(Random rng, int n)
    {
        var data = new float[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = (float)rng.NextDouble() * 2 - 1;
        }
        return data;
    }

    internal static void AssertBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: element {i} is {actual[i]}, the plain path gives {expected[i]}");
        }
    }
}
