namespace Engine.Backend.OpenBlas.Tests;

/// <summary>Serialises the tests that switch <see cref="SmallGemm.Bits"/>, a process-wide setting.</summary>
[CollectionDefinition(nameof(SmallGemmBitsCollection), DisableParallelization = true)]
public sealed class SmallGemmBitsCollection;

/// <summary>
/// LeNet-5's convolutions with their products on the engine's own kernel (each width; forward and
/// backward filter run several samples per product) against the same passes on OpenBLAS alone,
/// the reference path; and each variant twice, bit for bit.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class SmallConvolutionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly int _bits = SmallGemm.Bits;

    public void Dispose()
    {
        SmallGemm.Bits = _bits;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int> Layers => new()
    {
        // batch, channels, size, filters, kernel, pad: conv1, conv2, and a batch that leaves a partial group.
        { 64, 1, 28, 6, 5, 2 },
        { 64, 6, 14, 16, 5, 0 },
        { 7, 6, 14, 16, 5, 0 },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void EveryWidthMatchesOpenBlasAndRepeatsBitForBit(int batch, int channels, int size, int filters, int kernel, int pad)
    {
        int output = size + 2 * pad - kernel + 1;
        var axis = new ConvolutionAxis(size, output, kernel, 1, pad, 1);
        var layout = new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(9);
        float[] x = Random(rng, batch * channels * size * size), w = Random(rng, filters * channels * kernel * kernel);
        float[] dy = Random(rng, batch * filters * output * output);
        var workspace = new ConvolutionWorkspace();
        try
        {
            SmallGemm.Bits = 0;
            var reference = RunAll(layout, x, w, dy, workspace);
            foreach (int bits in new[] { 512, 256, 128 })
            {
                SmallGemm.Bits = bits;
                var first = RunAll(layout, x, w, dy, workspace);
                var second = RunAll(layout, x, w, dy, workspace);
                // Terms per result (each of magnitude ≤ 1): forward channels·taps, backward data filters·taps,
                // backward filter batch·positions. Float rounding of such sums stays well under 1e-7 per term.
                int[] terms = [channels * kernel * kernel, filters * kernel * kernel, batch * output * output];
                for (int pass = 0; pass < 3; pass++)
                {
                    Assert.Equal(first[pass], second[pass]);
                    for (int i = 0; i < first[pass].Length; i++)
                    {
                        Assert.True(Math.Abs(first[pass][i] - reference[pass][i]) <= 1e-7 * terms[pass] + 2e-5,
                            $"{bits} bits, pass {pass}, [{i}]: {first[pass][i]} vs {reference[pass][i]}");
                    }
                }
            }
        }
        finally
        {
            workspace.Release();
        }
    }

    // y, dx and dw of one layout.
    internal static float[][] RunAll(ConvolutionLayout l, float[] x, float[] w, float[] dy, ConvolutionWorkspace workspace)
    {
        var y = new float[dy.Length];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        fixed (float* px = x, pw = w, pdy = dy, py = y, pdx = dx, pdw = dw)
        {
            ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)px, (nint)pw, (nint)py, workspace);
            ConvolutionKernels.Run(ConvolutionPass.BackwardData, false, l, DataType.Float32, (nint)pdx, (nint)pw, (nint)pdy, workspace);
            ConvolutionKernels.Run(ConvolutionPass.BackwardFilter, false, l, DataType.Float32, (nint)px, (nint)pdw, (nint)pdy, workspace);
        }
        return [y, dx, dw];
    }

    internal static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return values;
    }
}
