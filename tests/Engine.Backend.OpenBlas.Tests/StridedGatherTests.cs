using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// im2col at column stride 2 with the vector row copy (<see cref="StridedGather"/>) against the scalar loop
/// (the reference, <c>ENGINE_IM2COL_STRIDED=off</c>) and against the column matrix written out from its
/// definition here, bit for bit: kernels 1, 3 and 7, padding 0–3, rows shorter than a vector, exactly one,
/// and many (ResNet-18's 224 → 112), whole matrices and slices of output rows, inside a wider matrix.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class StridedGatherTests : IDisposable
{
    private readonly bool _enabled = StridedGather.Enabled;

    public void Dispose() => StridedGather.Enabled = _enabled;

    public static TheoryData<int, int, int, int> Cases() => new()
    {
        // channels, input size, kernel, padding
        { 3, 224, 7, 3 },  // ResNet-18's first layer: 112 outputs a row (7 vectors)
        { 2, 56, 3, 1 },   // a stage's stride-2 3×3: 28 a row (one vector and a part)
        { 4, 56, 1, 0 },   // the 1×1 stride-2 projection
        { 3, 32, 3, 1 },   // 16 outputs: exactly one vector
        { 2, 13, 3, 0 },   // 6 outputs, no padding, odd input
        { 2, 9, 5, 2 },    // 5 outputs, taps past both ends
        { 1, 66, 3, 1 },   // 33 outputs: two vectors and one lane
        { 2, 7, 7, 3 },    // 4 outputs, most taps in the padding
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void VectorRowsEqualTheScalarLoopAndTheDefinition(int channels, int size, int kernel, int pad)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the vector copy never runs on this CPU
        }
        int output = (size + 2 * pad - kernel) / 2 + 1;
        var axis = new ConvolutionAxis(size, output, kernel, 2, pad, 1);
        var layout = new ConvolutionLayout(1, channels, 4, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(size + kernel);
        float[] x = SmallConvolutionTests.Random(rng, channels * size * size);
        int rows = layout.ColumnRows, positions = layout.OutputSize, stride = positions + 7;
        float[] col = SmallConvolutionTests.Random(rng, rows * stride + 3);

        float[] expected = Definition(layout, x, col, stride);
        StridedGather.Enabled = false;
        float[] scalar = Gather(layout, x, col, stride, 0, output);
        StridedGather.Enabled = true;
        float[] vector = Gather(layout, x, col, stride, 0, output);
        Assert.Equal(expected, scalar);
        Assert.Equal(expected, vector);
        if (pad > 0)
        {
            Assert.Contains(vector, v => v == 0); // the padding's taps are zeros (the random fill has none)
        }

        // A slice of output rows, as ColumnSlices gathers it: rows [first, end) only, count positions apart.
        int first = output / 3, end = Math.Max(first + 1, 2 * output / 3), count = (end - first) * output;
        float[] slice = Gather(layout, x, new float[rows * count], count, first, end);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(expected.AsSpan(r * stride + first * output, count).ToArray(), slice.AsSpan(r * count, count).ToArray());
        }
    }

    [Fact]
    public void EveryCountStoresTheEvenElementsAndReadsNothingPastTheLastOne()
    {
        if (!Avx512F.IsSupported || !OperatingSystem.IsLinux())
        {
            return;
        }
        // src ends exactly where an inaccessible page begins: reading one float past src[2·(count − 1)]
        // faults (the test process dies), so passing shows the masked loads stay inside the row.
        const int page = 4096;
        byte* region = (byte*)Mmap(null, 2 * page, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        Assert.True(region != (byte*)-1, "mmap failed");
        try
        {
            Assert.Equal(0, Mprotect(region + page, page, 0));
            for (int count = 1; count <= 40; count++)
            {
                int length = 2 * count - 1;
                float* src = (float*)(region + page) - length;
                for (int i = 0; i < length; i++)
                {
                    src[i] = i;
                }
                float[] dst = Enumerable.Repeat(-1f, count + 16).ToArray();
                fixed (float* d = dst)
                {
                    StridedGather.Row(src, d, count);
                }
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(2 * i, dst[i]);
                }
                Assert.All(dst[count..], v => Assert.Equal(-1f, v)); // nothing stored past count
            }
        }
        finally
        {
            Munmap(region, 2 * page);
        }
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mmap")]
    private static extern void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mprotect")]
    private static extern int Mprotect(void* address, nuint length, int protection);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "munmap")]
    private static extern int Munmap(void* address, nuint length);

    private static float[] Gather(ConvolutionLayout layout, float[] x, float[] col, long stride, int first, int end)
    {
        float[] gathered = (float[])col.Clone();
        fixed (float* px = x, pc = gathered)
        {
            Im2Col.Gather(layout, px, pc, stride, first, end);
        }
        return gathered;
    }

    // col[(c, kh, kw), (oh, ow)] = x[c, 2·oh − p + kh, 2·ow − p + kw], 0 in the padding; other columns kept.
    private static float[] Definition(ConvolutionLayout l, float[] x, float[] col, int stride)
    {
        float[] result = (float[])col.Clone();
        ConvolutionAxis h = l.Height, w = l.Width;
        for (int c = 0, r = 0; c < l.Channels; c++)
        {
            for (int kh = 0; kh < h.Kernel; kh++)
            {
                for (int kw = 0; kw < w.Kernel; kw++, r++)
                {
                    for (int oh = 0; oh < h.Output; oh++)
                    {
                        for (int ow = 0; ow < w.Output; ow++)
                        {
                            int ih = oh * 2 - h.Pad + kh, iw = ow * 2 - w.Pad + kw;
                            bool inside = ih >= 0 && ih < h.Input && iw >= 0 && iw < w.Input;
                            result[r * stride + oh * w.Output + ow] = inside ? x[(c * h.Input + ih) * w.Input + iw] : 0;
                        }
                    }
                }
            }
        }
        return result;
    }
}
