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
    public bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) =>
        training && TrainingFusionForced != false && activation is Activation.Relu && dataType is DataType.Float32 or DataType.Float64;

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
