namespace Engine.Backend.OpenBlas;

/// <summary>
/// A pooling problem seen as N·C independent 3-D planes (depth, height, width): 1-D and 2-D
/// windows get leading axes of size 1. Built and validated without allocating.
/// </summary>
internal readonly record struct PoolPlan(
    int Planes,
    int InD, int InH, int InW,
    int OutD, int OutH, int OutW,
    int KD, int KH, int KW,
    int SD, int SH, int SW,
    int PD, int PH, int PW,
    int DD, int DH, int DW,
    bool IsTwoByTwo)
{
    /// <summary>Elements of one input plane (D·H·W).</summary>
    public int InVolume => InD * InH * InW;

    /// <summary>Elements of one output plane.</summary>
    public int OutVolume => OutD * OutH * OutW;

    /// <summary>The plan of a call whose operands <see cref="BackendContract.PoolingForward"/> has checked.</summary>
    public static PoolPlan Create(PoolingGeometry geometry, Shape x)
    {
        ConvolutionGeometry g = geometry.Window;
        int rank = g.SpatialRank;
        ReadOnlySpan<int> xd = x.AsSpan();
        Span<int> input = [1, 1, 1];
        Span<int> output = [1, 1, 1];
        Span<int> kernel = [1, 1, 1];
        Span<int> stride = [1, 1, 1];
        Span<int> padBefore = [0, 0, 0];
        Span<int> dilation = [1, 1, 1];
        bool noPadding = true;
        for (int axis = 0; axis < rank; axis++)
        {
            int at = 3 - rank + axis;
            input[at] = xd[axis + 2];
            kernel[at] = g.Kernel[axis];
            stride[at] = g.Stride[axis];
            padBefore[at] = g.PadBefore[axis];
            dilation[at] = g.Dilation[axis];
            output[at] = ConvolutionGeometry.OutputSize(input[at], kernel[at], stride[at], padBefore[at], g.PadAfter[axis], dilation[at]);
            noPadding &= g.PadBefore[axis] == 0 && g.PadAfter[axis] == 0;
        }
        bool twoByTwo = noPadding && kernel[0] == 1 && stride[0] == 1
            && kernel[1] == 2 && kernel[2] == 2 && stride[1] == 2 && stride[2] == 2
            && dilation[1] == 1 && dilation[2] == 1;
        return new PoolPlan(xd[0] * xd[1],
            input[0], input[1], input[2], output[0], output[1], output[2],
            kernel[0], kernel[1], kernel[2], stride[0], stride[1], stride[2],
            padBefore[0], padBefore[1], padBefore[2], dilation[0], dilation[1], dilation[2], twoByTwo);
    }
}
