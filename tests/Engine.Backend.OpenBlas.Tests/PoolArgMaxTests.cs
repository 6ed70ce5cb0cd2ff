using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>The tests that flip <see cref="PoolLines.Enabled"/> or <see cref="PoolLines.KeepsArgMax"/> run one at a time.</summary>
[CollectionDefinition(nameof(PoolLinesSwitchCollection), DisableParallelization = true)]
public sealed class PoolLinesSwitchCollection;

/// <summary>
/// Max pooling that keeps its arg-max from the training forward pass for the backward pass
/// (<see cref="PoolLines.ForwardKeepingArgMax"/>, <see cref="PoolLines.BackwardFromArgMax"/>, the
/// backend's workspace members) against the plain per-position path, bit for bit, at each width, on
/// the line kernel's shapes and data full of ties, NaNs, signed zeros and ±∞.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolArgMaxTests
{
    private delegate void ForwardKeeping(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end);

    private static readonly (ForwardKeeping Forward, string Width)[] Widths =
    [
        (PoolLines.ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
        (PoolLines.FlatForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "flat 512"),
        (PoolLines.FlatForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>, "flat 256"),
        (PoolLines.FlatForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>, "flat 128"),
        (PoolLines.ForwardKeepingArgMax, "dispatch"),
    ];

    /// <summary>Whether this forward runs the plan: the flat-plane code only takes 3×3 s1 p1 windows.</summary>
    private static bool Runs(string width, in PoolPlan p) => !width.StartsWith("flat", StringComparison.Ordinal) || PoolLines.TakesFlat(p);

    [Fact]
    public void ForwardAndBackwardThroughTheKeptTapsAreBitIdenticalToThePlainPath()
    {
        var rng = new Random(31);
        foreach (var shape in PoolLinesTests.Shapes)
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume);
            float[] dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
            var y = new float[dy.Length];
            var dx = new float[x.Length];
            PoolingKernels.PoolForwardKernel(p, true, false, x, y);
            PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, dx);
            foreach (var (forward, width) in Widths)
            {
                if (!Runs(width, p))
                {
                    continue;
                }
                float[] yActual = PoolSimdTests.Random(rng, y.Length), dxActual = PoolSimdTests.Random(rng, dx.Length); // overwritten
                // One byte more than the outputs, which no pass may touch.
                var argMax = new byte[dy.Length + 1];
                argMax[^1] = 0xA5;
                ForwardThenBackward(forward, p, x, yActual, dy, dxActual, argMax);
                PoolSimdTests.AssertBits(y, yActual, $"forward {shape} at {width}");
                PoolSimdTests.AssertBits(dx, dxActual, $"backward {shape} at {width}");
                Assert.Equal(0xA5, argMax[^1]);
                Assert.All(argMax[..^1], tap => Assert.InRange(tap, 0, (p.KH * p.KW) - 1));
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WholeVectorStoresNeverReachPastThePartsLastOutput(bool max)
    {
        // Rows narrower than a vector store whole vectors into the rows after them, never past the part.
        var rng = new Random(34);
        foreach (var shape in PoolLinesTests.Shapes)
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume);
            int outputs = p.Planes * p.OutVolume, half = p.Planes / 2 * p.OutVolume;
            float[] y = new float[outputs + 16];
            byte[] argMax = new byte[outputs + 16];
            Array.Fill(y, 7f);
            Array.Fill(argMax, (byte)0xA5);
            fixed (float* px = x, py = y)
            fixed (byte* pa = argMax)
            {
                // The first part only: nothing from the second part's first output on may change.
                if (max)
                {
                    PoolLines.ForwardKeepingArgMax(p, px, py, pa, 0, p.Planes / 2);
                }
                else
                {
                    PoolLines.Forward(p, false, false, px, py, 0, p.Planes / 2);
                }
            }
            Assert.All(y[half..], v => Assert.Equal(7f, v));
            Assert.All(argMax[half..], b => Assert.Equal(0xA5, b));
        }
    }

    [Fact]
    public void ThreeByThreeWindowsAtTheEdgesKeepThePlainPathsTaps()
    {
        // 3×3 windows the shared shapes lack: padding 2 (windows with one real row or column), row
        // stride 3, ceil mode past a padded edge, rows of 1–3 columns; and planes of −∞ with a few
        // real values, where the padding's −∞ ties with real elements. Taps equal at every width;
        // values and dx (through the kept taps) equal the plain path's.
        (int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int)[] shapes =
        [
            (3, 1, 13, 29, 1, 3, 3, 1, 1, 1, 2, 2, 0, 0, 1, 1),
            (2, 1, 20, 33, 1, 3, 3, 1, 3, 2, 2, 1, 0, 0, 1, 1),
            (2, 1, 12, 19, 1, 3, 3, 1, 2, 2, 1, 2, 1, 1, 1, 1),
            (4, 1, 5, 3, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),
            (4, 1, 3, 1, 1, 3, 3, 1, 1, 1, 1, 2, 0, 0, 1, 1),
            (5, 1, 1, 5, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),   // 3×3 s1 p1 (flat planes) on planes smaller than a vector
            (5, 1, 7, 1, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),
            (3, 1, 9, 17, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),  // a plane of 153: not a whole number of vectors
        ];
        var rng = new Random(35);
        foreach (var shape in shapes)
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            Assert.True(PoolLines.Fits(p), $"{shape} is a plan the line kernel takes");
            foreach (bool mostlyInfinite in new[] { false, true })
            {
                (float[] x, float[] dy, float[] plain, float[] plainDx) = PlainMax(rng, p, mostlyInfinite);
                byte[] firstTaps = [];
                foreach (var (forward, width) in Widths.Where(f => Runs(f.Width, p)))
                {
                    float[] y = new float[dy.Length], dx = PoolSimdTests.Random(rng, x.Length);
                    byte[] taps = new byte[dy.Length];
                    ForwardThenBackward(forward, p, x, y, dy, dx, taps);
                    PoolSimdTests.AssertBits(plain, y, $"forward {shape} at {width}, mostly −∞ {mostlyInfinite}");
                    PoolSimdTests.AssertBits(plainDx, dx, $"backward {shape} at {width}, mostly −∞ {mostlyInfinite}");
                    firstTaps = firstTaps.Length == 0 ? taps : firstTaps;
                    Assert.Equal(firstTaps, taps);
                }
            }
        }
    }

    /// <summary>
    /// Max pooling input (ties, NaNs, ±∞; <paramref name="mostlyInfinite"/>: five in six −∞, so the
    /// padding's −∞ ties with real elements), a random dy, and the plain path's y and dx.
    /// </summary>
    internal static (float[] X, float[] Dy, float[] Y, float[] Dx) PlainMax(Random rng, in PoolPlan p, bool mostlyInfinite)
    {
        float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume);
        if (mostlyInfinite)
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = rng.Next(6) == 0 ? x[i] : float.NegativeInfinity;
            }
        }
        float[] dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
        float[] y = new float[dy.Length], dx = new float[x.Length];
        PoolingKernels.PoolForwardKernel(p, true, false, x, y);
        PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, dx);
        return (x, dy, y, dx);
    }

    [Fact]
    public void TheGatherFromTheKeptTapsGivesTheScattersBits()
    {
        // Column stride 1 (the shapes that have it): dx gathered at each width, and scattered, equal the plain path's.
        var rng = new Random(36);
        foreach (var shape in PoolLinesTests.Shapes.Where(s => s.SW == 1))
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
            var plainDx = new float[x.Length];
            PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, plainDx);
            var taps = new byte[dy.Length];
            var y = new float[dy.Length];
            fixed (float* px = x, py = y)
            fixed (byte* pt = taps)
            {
                PoolLines.ForwardKeepingArgMax(p, px, py, pt, 0, p.Planes);
            }
            foreach (var (backward, name) in Backwards)
            {
                float[] dx = PoolSimdTests.Random(rng, x.Length); // overwritten
                fixed (float* pdy = dy, pdx = dx)
                fixed (byte* pt = taps)
                {
                    backward(p, pt, pdy, pdx, 0, p.Planes);
                }
                PoolSimdTests.AssertBits(plainDx, dx, $"backward {shape} by {name}");
            }
        }
    }

    private delegate void BackwardKeeping(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end);

    private static readonly (BackwardKeeping Backward, string Name)[] Backwards =
    [
        (PoolLines.GatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>, "gather 512"),
        (PoolLines.GatherFromArgMax<Pool256, Vector256<float>, Vector256<int>>, "gather 256"),
        (PoolLines.GatherFromArgMax<Pool128, Vector128<float>, Vector128<int>>, "gather 128"),
        (PoolLines.ScatterFromArgMax, "scatter"),
        (PoolLines.BackwardFromArgMax, "dispatch"),
    ];

    /// <summary>y and the taps by <paramref name="forward"/>, then dx from those taps through the dispatcher.</summary>
    private static void ForwardThenBackward(ForwardKeeping forward, in PoolPlan p, float[] x, float[] y, float[] dy, float[] dx, byte[] argMax)
    {
        fixed (float* px = x, py = y, pdy = dy, pdx = dx)
        fixed (byte* pa = argMax)
        {
            forward(p, px, py, pa, 0, p.Planes);
            PoolLines.BackwardFromArgMax(p, pa, pdy, pdx, 0, p.Planes);
        }
    }

    [Fact]
    public void TheKeptTapIsTheFirstMaximumInScanOrder()
    {
        // One 3×3 s1 p1 window over a plane of ties: every output's tap is its first real element.
        PoolPlan p = PoolSimdTests.Plan((1, 1, 4, 20, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        var x = new float[p.InVolume];
        Array.Fill(x, -0f);
        x[20 + 5] = 0f; // +0 == −0: still a tie, the first (−0 at the window's top) wins
        x[(2 * 20) + 7] = float.NaN; // a NaN wins every window that holds it
        var y = new float[p.OutVolume];
        var argMax = new byte[p.OutVolume];
        fixed (float* px = x, py = y)
        fixed (byte* pa = argMax)
        {
            PoolLines.ForwardKeepingArgMax(p, px, py, pa, 0, 1);
        }
        Assert.Equal(4, argMax[0]);                 // output (0, 0): the window's top row is padding, its left column too
        Assert.Equal(3, argMax[5]);                 // output (0, 5): first real row, first column
        Assert.Equal(8, argMax[20 + 6]);            // output (1, 6): the NaN at (2, 7), tap 2·3 + 2
        Assert.True(float.IsNaN(y[20 + 6]));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(y[5]));
    }

    [Fact]
    public void PlanesSplitAnywhereGiveTheSameBits()
    {
        var rng = new Random(32);
        PoolPlan p = PoolSimdTests.Plan((5, 1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
        float[] yWhole = new float[dy.Length], yParts = new float[dy.Length], whole = new float[x.Length], parts = new float[x.Length];
        byte[] aWhole = new byte[dy.Length], aParts = new byte[dy.Length];
        fixed (float* px = x, pdy = dy, pyw = yWhole, pyp = yParts, pw = whole, pp = parts)
        fixed (byte* paw = aWhole, pap = aParts)
        {
            PoolLines.ForwardKeepingArgMax(p, px, pyw, paw, 0, p.Planes);
            PoolLines.BackwardFromArgMax(p, paw, pdy, pw, 0, p.Planes);
            PoolLines.ForwardKeepingArgMax(p, px, pyp, pap, 3, 5);
            PoolLines.ForwardKeepingArgMax(p, px, pyp, pap, 0, 3);
            PoolLines.BackwardFromArgMax(p, pap, pdy, pp, 0, 2);
            PoolLines.BackwardFromArgMax(p, pap, pdy, pp, 2, 5);
        }
        Assert.Equal(aWhole, aParts);
        PoolSimdTests.AssertBits(yWhole, yParts, "forward split 0-3, 3-5");
        PoolSimdTests.AssertBits(whole, parts, "backward split 0-2, 2-5");
    }

    [Theory]
    [InlineData(3, 1, 1, 28)]  // GoogLeNet's 3×3 s1 p1
    [InlineData(3, 2, 1, 57)]  // ResNet's stem 3×3 s2 p1, odd size
    public void TheBackendKeepsTheArgMaxInItsWorkspaceAndGivesThePlainBits(int window, int stride, int pad, int size)
    {
        using var backend = new OpenBlasBackend();
        var geometry = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([window, window], [stride, stride], [pad, pad], [pad, pad], [1, 1]));
        var xShape = new Shape(3, 7, size, size);
        PoolPlan p = PoolPlan.Create(geometry, xShape);
        var yShape = new Shape(3, 7, p.OutH, p.OutW);
        var rng = new Random(33);
        float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
        var yPlain = new float[dy.Length];
        var dxPlain = new float[x.Length];
        PoolingKernels.PoolForwardKernel(p, true, false, x, yPlain);
        PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, dxPlain);

        int elements = backend.PoolingWorkspaceSize(geometry, xShape, DataType.Float32);
        Assert.Equal((p.Planes * p.OutVolume + 3) / 4, elements); // a byte per output
        using Tensor tx = backend.Allocate(xShape), ty = backend.Allocate(yShape), tdy = backend.Allocate(yShape), tdx = backend.Allocate(xShape);
        using Tensor workspace = backend.Allocate(new Shape(elements), DataType.Int32);
        backend.CopyFromHost<float>(x, tx);
        backend.CopyFromHost<float>(dy, tdy);
        IBackend b = backend;
        b.PoolingForwardWithWorkspace(geometry, tx, ty, workspace);
        backend.CopyFromHost<float>(new float[x.Length], tx); // x is not read again: the taps are kept
        b.PoolingBackwardWithWorkspace(geometry, tx, ty, tdy, tdx, workspace);
        PoolSimdTests.AssertBits(yPlain, ty.ToArray(), "forward with the workspace");
        PoolSimdTests.AssertBits(dxPlain, tdx.ToArray(), "backward from the workspace");

        using Tensor tooSmall = backend.Allocate(new Shape(elements - 1), DataType.Int32);
        Assert.Throws<ShapeException>(() => b.PoolingForwardWithWorkspace(geometry, tx, ty, tooSmall));
        using Tensor wrongType = backend.Allocate(new Shape(elements));
        Assert.ThrowsAny<ArgumentException>(() => b.PoolingForwardWithWorkspace(geometry, tx, ty, wrongType));
    }

    [Fact]
    public void NoWorkspaceForAverageOtherWindowsOrWithTheSwitchOff()
    {
        using var backend = new OpenBlasBackend();
        var window = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        var xShape = new Shape(2, 4, 28, 28);
        Assert.True(backend.PoolingWorkspaceSize(new PoolingGeometry(PoolingMode.Max, window), xShape, DataType.Float32) > 0);
        Assert.Equal(0, backend.PoolingWorkspaceSize(new PoolingGeometry(PoolingMode.Average, window), xShape, DataType.Float32));
        Assert.Equal(0, backend.PoolingWorkspaceSize(new PoolingGeometry(PoolingMode.Max, window), xShape, DataType.Float64));
        var twoByTwo = new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]); // at bandwidth already; recomputes
        Assert.Equal(0, backend.PoolingWorkspaceSize(new PoolingGeometry(PoolingMode.Max, twoByTwo), xShape, DataType.Float32));
        bool saved = PoolLines.KeepsArgMax;
        try
        {
            PoolLines.KeepsArgMax = false;
            Assert.Equal(0, backend.PoolingWorkspaceSize(new PoolingGeometry(PoolingMode.Max, window), xShape, DataType.Float32));
        }
        finally
        {
            PoolLines.KeepsArgMax = saved;
        }
    }
}
