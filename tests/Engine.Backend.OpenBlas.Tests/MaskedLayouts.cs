namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Convolution layouts for the AVX-512 masked kernels' tests (<see cref="Im2ColMaskedTests"/>,
/// <see cref="DirectConvolutionTests"/>): rows one or two vectors wide, padding (also beyond the
/// window's reach), dilation, a height stride and three spatial axes.
/// </summary>
internal static class MaskedLayouts
{
    /// <summary>channels, depth, size, kernel, pad, height stride, dilation.</summary>
    public static TheoryData<int, int, int, int, int, int, int> Cases => new()
    {
        { 1, 1, 28, 5, 2, 1, 1 },  // LeNet conv1: 28 wide, two vectors
        { 6, 1, 14, 5, 0, 1, 1 },  // LeNet conv2: 10 wide
        { 3, 1, 17, 3, 1, 1, 1 },  // exactly 17 wide: a one-lane second vector
        { 2, 1, 16, 3, 1, 1, 1 },  // exactly one vector
        { 2, 1, 9, 3, 4, 2, 2 },   // padding wider than the window reach, dilation, height stride 2
        { 2, 3, 6, 3, 1, 1, 1 },   // 3-D: padded depth planes
    };

    /// <summary>The layout of one case with <paramref name="batch"/> samples and <paramref name="filters"/> filters.</summary>
    public static ConvolutionLayout Make(int batch, int channels, int filters, int depth, int size, int kernel, int pad, int heightStride, int dilation)
    {
        int Out(int input, int stride) => (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
        var width = new ConvolutionAxis(size, Out(size, 1), kernel, 1, pad, dilation);
        var height = new ConvolutionAxis(size, Out(size, heightStride), kernel, heightStride, pad, dilation);
        ConvolutionAxis depthAxis = depth == 1 ? ConvolutionAxis.Unit : new ConvolutionAxis(depth, Out(depth, 1), kernel, 1, pad, dilation);
        return new ConvolutionLayout(batch, channels, filters, 1, depthAxis, height, width);
    }

    /// <summary>Uniform values in [−1, 1).</summary>
    public static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return values;
    }
}
