namespace Engine.Backend.OpenBlas;

public sealed partial class OpenBlasBackend
{
    /// <summary>Whether training passes fuse convolution + bias + ReLU (null or true, the default) or not (false): <c>ENGINE_CPU_TRAIN_FUSION=on|off</c>.</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both in one process.</remarks>
    internal static bool? TrainingFusionForced { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_CPU_TRAIN_FUSION"));

    // Per-channel scale of ones (the bias-and-activation epilogue has no scale) and shift of zeros (a
    // convolution without bias), grown to the most filters seen; pinned, so kernels read them by address.
    private float[] _unitFloat = [], _zeroFloat = [];
    private double[] _unitDouble = [], _zeroDouble = [];

    /// <inheritdoc/>
    /// <remarks>
    /// In a training pass, ReLU after a float convolution: the bias and ReLU run as the convolution's
    /// epilogue (<see cref="ConvolutionEpilogue"/>, scale 1), on each sample's output while it is in
    /// cache, instead of two more passes over the whole output. 1·y + b and max(·, 0) are the bits of the
    /// bias addition and the ReLU layer. Inference has its own chains (<see cref="ConvolutionForwardWithEpilogue"/>).
    /// </remarks>
    /// <remarks>
    /// Also without an activation (a convolution layer's own forward with its bias, in any pass): the
    /// bias as the epilogue (1·y + b, the bits of the separate addition) instead of a second pass over the
    /// output, which on the 3-channel (32,3,32,32)→32 layer (4 MB of output) cost about half as much as
    /// the convolution (benchmarks/NOTES.md, "convfwd"). <c>ENGINE_CONV_BIAS_EPILOGUE=off</c>: the separate pass.
    /// </remarks>
    public bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) =>
        dataType is DataType.Float32 or DataType.Float64
        && (activation is null ? BiasEpilogue : training && TrainingFusionForced != false && activation is Activation.Relu);

    /// <summary>Whether a convolution's bias alone is fused as its epilogue (<c>ENGINE_CONV_BIAS_EPILOGUE=on|off</c>, default on).</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both in one process.</remarks>
    internal static bool BiasEpilogue { get; set; } = Environment.GetEnvironmentVariable("ENGINE_CONV_BIAS_EPILOGUE") != "off";

    /// <inheritdoc/>
    public unsafe void ConvolutionForwardBiasActivation(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor? bias, Tensor y, Activation? activation = null,
        double alpha = 0)
    {
        const string op = "ConvolutionForwardBiasActivation";
        ThrowIfDisposed();
        BackendContract.ConvolutionBiasActivation(this, geometry, x, w, bias, y, activation);
        if (activation is null && bias is null)
        {
            ConvolutionForward(geometry, x, w, y);
            return;
        }
        int filters = w.Shape[0];
        bool single = x.DataType == DataType.Float32;
        // Only the arrays of the network's own type are grown (a float64 network never grows the float ones).
        fixed (float* unitF = Grown(ref _unitFloat, single ? filters : 0, 1f), zeroF = Grown(ref _zeroFloat, single ? filters : 0, 0f))
        fixed (double* unitD = Grown(ref _unitDouble, single ? 0 : filters, 1d), zeroD = Grown(ref _zeroDouble, single ? 0 : filters, 0d))
        {
            nint scale = single ? (nint)unitF : (nint)unitD;
            nint shift = bias is not null ? Address(bias, op, "bias") : single ? (nint)zeroF : (nint)zeroD;
            var layout = ConvolutionLayout.Create(geometry, x.Shape, filters);
            ConvolutionKernels.Run(ConvolutionPass.Forward, locallyConnected: false, layout, x.DataType, Address(x, op, "x"), Address(w, op, "w"), Address(y, op, "y"),
                _workspace, new ConvolutionEpilogue(scale, shift, activation, alpha), w.Storage as CpuStorage);
        }
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(y);
        GC.KeepAlive(bias);
    }

    private static T[] Grown<T>(ref T[] values, int count, T fill)
    {
        if (values.Length < count)
        {
            values = GC.AllocateArray<T>(count, pinned: true);
            Array.Fill(values, fill);
        }
        return values;
    }
}
