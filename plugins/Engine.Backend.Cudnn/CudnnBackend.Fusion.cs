using System.Runtime.CompilerServices;

namespace Engine.Backend.Cudnn;

/// <summary>
/// The inference epilogue (<see cref="IBackend.ChannelAffine"/>, one kernel: kernels/elementwise.cu's
/// channel_affine) and the convolution that ends with it: where cuDNN's fused forward applies
/// (float32 outside bf16/fp16, ReLU or no activation, 2-D or 1-D without groups, symmetric padding)
/// the scale is folded into a scaled copy of the filters and cudnnConvolutionBiasActivationForward
/// adds the shift as its bias and applies the ReLU in the convolution's own kernel; elsewhere, or
/// once cuDNN refused a fused call, the convolution is followed by the channel_affine kernel. A training
/// pass's convolution + bias + ReLU (<see cref="IBackend.ConvolutionForwardBiasActivation"/>) is the
/// same cuDNN call with the filters themselves: no scale, so no scaled copy.
/// Channels-last convolutions (<see cref="ConvolutionLayouts"/>) copy their operands to NHWC
/// (kernels/layout.cu) around the call.
/// </summary>
public sealed partial class CudnnBackend
{
    /// <summary>off: never the fused cuDNN call (the convolution, then the channel_affine kernel), to compare; on (default).</summary>
    internal const string FusionVariable = "ENGINE_CUDNN_FUSION";

    private const int ShimLayoutNchw = 0, ShimLayoutNhwc = 1;
    private const string LayoutModule = "layout";

    /// <summary>ECUD_ERROR_CUDNN: a cuDNN call refused (for the fused forward: this configuration is not offered).</summary>
    private const int CudnnRefused = 5;

    /// <summary>off: training passes never fuse a convolution with its bias and ReLU (inference still may), to compare; on (default).</summary>
    internal const string TrainingFusionVariable = "ENGINE_CUDNN_TRAIN_FUSION";

    // Off by ENGINE_CUDNN_FUSION=off, or for the rest of the backend's life once cuDNN refused a fused call.
    private bool _fusion = Environment.GetEnvironmentVariable(FusionVariable) != "off";

    // Off by ENGINE_CUDNN_TRAIN_FUSION=off: what FusesConvolutionBiasActivation answers a training pass.
    private readonly bool _trainingFusion = Environment.GetEnvironmentVariable(TrainingFusionVariable) != "off";

    // cuDNN's fused call always adds a bias: zeros for a convolution without one, per channel count and type.
    private readonly Dictionary<(int Channels, DataType Type), Tensor> _zeroBiases = [];

    /// <summary>How many convolutions ran as one fused cuDNN call (for tests and the bench).</summary>
    internal long FusedConvolutions { get; private set; }

    /// <inheritdoc/>
    public void ChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, Activation? activation = null, double alpha = 0)
    {
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.ChannelAffine(this, x, scale, shift, y, activation);
        LaunchChannelAffine(x, scale, shift, y, (long)batch * channels * spatial, channels, spatial, activation, alpha);
    }

    /// <inheritdoc/>
    public void ConvolutionForwardWithEpilogue(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y, Tensor scale, Tensor shift,
        Activation? activation = null, double alpha = 0)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionForward(this, geometry, x, w, y);
        (int batch, int channels, int spatial) = BackendContract.ChannelAffine(this, y, scale, shift, y, activation);
        if (!Fusable(geometry, x, w, y, activation))
        {
            Convolve(Forward, geometry, x, w, y);
            LaunchChannelAffine(y, scale, shift, y, (long)batch * channels * spatial, channels, spatial, activation, alpha);
            return;
        }
        // scale[k]·(w_k ∗ x) = (scale[k]·w_k) ∗ x: the filters scaled (one pass over them) instead of the output.
        using Tensor scaled = Allocate(w.Shape, w.DataType);
        long n = w.ElementCount;
        _kernels.Launch(ChannelsModule, "scale_channels", w.DataType, n, n, Ptr(w), Ptr(scale), Ptr(scaled), w.Shape[0], n / w.Shape[0]);
        if (Call(Forward, geometry, x.Shape, x, scaled, y, padded: false, new FusedBias(Ptr(shift).Address, activation is Activation.Relu)))
        {
            FusedConvolutions++;
            return;
        }
        _fusion = false;
        Convolve(Forward, geometry, x, w, y);
        LaunchChannelAffine(y, scale, shift, y, (long)batch * channels * spatial, channels, spatial, activation, alpha);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// ReLU on a <see cref="Fusable"/> configuration: one cudnnConvolutionBiasActivationForward with the
    /// filters as they are and the measured forward algorithm of the shape. No activation is not
    /// offered (cuDNN would force IMPLICIT_PRECOMP_GEMM, which may be slower than the measured choice).
    /// </remarks>
    public bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) =>
        (!training || _trainingFusion) && activation is Activation.Relu && FusableConfiguration(geometry, dataType, activation);

    /// <inheritdoc/>
    public void ConvolutionForwardBiasActivation(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor? bias, Tensor y, Activation? activation = null,
        double alpha = 0)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionBiasActivation(this, geometry, x, w, bias, y, activation);
        if (activation is Activation.Relu && Fusable(geometry, x, w, y, activation) && (bias ?? ZeroBias(y.Shape[1], y.DataType)) is { } b)
        {
            if (Call(Forward, geometry, x.Shape, x, w, y, padded: false, new FusedBias(Ptr(b).Address, Relu: true)))
            {
                FusedConvolutions++;
                return;
            }
            _fusion = false; // refused, nothing queued: the layer-by-layer operations from now on
        }
        // The operations the layers make one by one, so the result is theirs bit for bit.
        Convolve(Forward, geometry, x, w, y);
        if (bias is not null)
        {
            AddChannelBias(y, bias);
        }
        if (activation is { } f)
        {
            ActivationForward(f, y, y, alpha);
        }
    }

    /// <summary>
    /// Zeros as the fused call's bias, allocated on first use (null when that first use is inside a
    /// graph capture, which cannot allocate: that call then runs unfused).
    /// </summary>
    private Tensor? ZeroBias(int channels, DataType type)
    {
        if (_zeroBiases.TryGetValue((channels, type), out Tensor? zeros))
        {
            return zeros;
        }
        if (ShimNative.ecud_capturing() != 0)
        {
            return null;
        }
        zeros = Allocate(new Shape(channels), type);
        Fill(zeros, 0);
        _zeroBiases.Add((channels, type), zeros);
        return zeros;
    }

    /// <summary>The fusion settings, for the backend's description line.</summary>
    private string DescribeFusion() =>
        !_fusion ? $"no fused convolutions ({FusionVariable}=off)"
        : _trainingFusion ? "fused convolution + bias + ReLU in training and inference"
        : $"fused convolution + bias + ReLU in inference only ({TrainingFusionVariable}=off)";

    private void ReleaseZeroBiases()
    {
        foreach (Tensor zeros in _zeroBiases.Values)
        {
            zeros.Dispose();
        }
        _zeroBiases.Clear();
    }

    /// <summary>
    /// Whether cuDNN's fused forward computes this epilogue: float32 with 32-bit operands (under
    /// bf16/fp16 the convolution's 16-bit output is rounded before the epilogue, as unfused), ReLU or
    /// none, 1-D or 2-D without groups (the configurations cuDNN documents for it), symmetric padding
    /// (the asymmetric case convolves a padded copy) and something to compute.
    /// </summary>
    private bool Fusable(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y, Activation? activation) =>
        x.ElementCount != 0 && w.ElementCount != 0 && y.ElementCount != 0 && FusableConfiguration(geometry, x.DataType, activation);

    private bool FusableConfiguration(ConvolutionGeometry geometry, DataType dataType, Activation? activation)
    {
        if (!_fusion || dataType != DataType.Float32 || _precision is ShimPrecision.Bf16 or ShimPrecision.Fp16
            || activation is not (null or Activation.Relu) || geometry.Groups != 1 || geometry.SpatialRank > 2)
        {
            return false;
        }
        for (int i = 0; i < geometry.SpatialRank; i++)
        {
            if (geometry.PadBefore[i] != geometry.PadAfter[i])
            {
                return false;
            }
        }
        return true;
    }

    private void LaunchChannelAffine(Tensor x, Tensor scale, Tensor shift, Tensor y, long n, int channels, int spatial, Activation? activation, double alpha) =>
        _kernels.Launch(ElementwiseModule, "channel_affine", x.DataType, n, n, Ptr(x), Ptr(scale), Ptr(shift), Ptr(y), channels, (long)spatial,
            activation is { } f ? (int)f : -1, alpha);

    /// <summary>
    /// The call on channels-last copies: the operands the pass reads are copied to NHWC, the shim
    /// switched to NHWC for the call, and the operand it writes copied back to the engine's layout.
    /// </summary>
    private Outcome CallChannelsLast(int pass, ConvolutionGeometry geometry, ref ConvolutionCall call, Tensor input, Tensor filters, Tensor output,
        FusedBias? fused)
    {
        DataType type = input.DataType;
        using Tensor x = Allocate(input.Shape, type);
        using Tensor w = Allocate(filters.Shape, type);
        using Tensor y = Allocate(output.Shape, type);
        if (pass != BackwardData)
        {
            Relayout("to_channels_last", input, x);
        }
        if (pass != BackwardFilter)
        {
            Relayout("to_channels_last", filters, w);
        }
        if (pass != Forward)
        {
            Relayout("to_channels_last", output, y);
        }
        ShimLibrary.Check(ShimNative.ecud_set_layout(ShimLayoutNhwc), "switching convolutions to NHWC");
        Outcome ran;
        try
        {
            ran = Run(pass, geometry, ref call, type, Ptr(x).Address, Ptr(w).Address, Ptr(y).Address, ShimLayoutNhwc, fused);
        }
        finally
        {
            ShimLibrary.Check(ShimNative.ecud_set_layout(ShimLayoutNchw), "switching convolutions back to NCHW");
        }
        if (ran != Outcome.Ran)
        {
            return ran;
        }
        if (pass == Forward)
        {
            Relayout("to_channels_first", y, output);
        }
        else if (pass == BackwardData)
        {
            Relayout("to_channels_first", x, input);
        }
        else
        {
            Relayout("to_channels_first", w, filters);
        }
        return Outcome.Ran;
    }

    /// <summary>N×C×S ↔ N×S×C (filters: K×C/g×S ↔ K×S×C/g), with N, C and S read from the NCHW-shaped source.</summary>
    private void Relayout(string kernel, Tensor source, Tensor destination)
    {
        long n = source.ElementCount;
        int batch = source.Shape[0], channels = source.Shape[1];
        _kernels.Launch(LayoutModule, kernel, source.DataType, n, n, Ptr(source), Ptr(destination), channels, n / ((long)batch * channels));
    }

    /// <summary>The bias (device address of the shift) and activation of a fused forward.</summary>
    private readonly record struct FusedBias(nint Bias, bool Relu);

    /// <summary>The shape arguments of one shim convolution call (N, C, spatial order; up to 3 spatial axes).</summary>
    private struct ConvolutionCall
    {
        public Dims5 X, W, Y;
        public Dims3 Pad, Stride, Dilation;
    }

    [InlineArray(5)]
    private struct Dims5
    {
        private int _first;
    }

    [InlineArray(3)]
    private struct Dims3
    {
        private int _first;
    }
}
