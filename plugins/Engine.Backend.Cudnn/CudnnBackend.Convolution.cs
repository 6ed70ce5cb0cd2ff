namespace Engine.Backend.Cudnn;

/// <summary>Convolutions: cuDNN, with asymmetric padding done by an explicit zero-padded copy.</summary>
public sealed partial class CudnnBackend
{
    private const int Forward = 0, BackwardData = 1, BackwardFilter = 2;

    /// <summary>ECUD_ERROR_NO_ALGORITHM: cuDNN has no algorithm for the call in its layout; nothing was queued.</summary>
    private const int NoAlgorithmStatus = 11;

    /// <summary>Channels-last calls run NCHW because cuDNN had no NHWC algorithm for them (distinct shapes; for tests).</summary>
    internal int ChannelsFirstFallbacks => _layouts.WithoutAlgorithm;

    /// <summary>The measured algorithm choices (null under ENGINE_CUDNN_ALGORITHMS=heuristic); for tests.</summary>
    internal ConvolutionAlgorithms? Algorithms => _algorithms;

    /// <inheritdoc/>
    public void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionForward(this, geometry, x, w, y);
        Convolve(Forward, geometry, x, w, y);
    }

    /// <inheritdoc/>
    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionBackwardData(this, geometry, dy, w, dx);
        Convolve(BackwardData, geometry, dx, w, dy);
    }

    /// <inheritdoc/>
    public void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw)
    {
        ThrowIfDisposed();
        BackendContract.ConvolutionBackwardFilter(this, geometry, x, dy, dw);
        Convolve(BackwardFilter, geometry, x, dw, dy);
    }

    /// <summary>
    /// One cuDNN call; input is x (or dx), filters w (or dw), output y (or dy). cuDNN pads
    /// symmetrically only, so with padding that differs before and after (TensorFlow's 'same' with an
    /// even kernel, or ceil-mode windows) the input is copied into a zero-padded tensor first and the
    /// convolution runs unpadded; for backward data the padded gradient is cropped back.
    /// </summary>
    private unsafe void Convolve(int pass, ConvolutionGeometry geometry, Tensor input, Tensor filters, Tensor output)
    {
        int rank = geometry.SpatialRank;
        bool symmetric = true;
        for (int i = 0; i < rank; i++)
        {
            symmetric &= geometry.PadBefore[i] == geometry.PadAfter[i];
        }
        if (symmetric)
        {
            Call(pass, geometry, input.Shape, input, filters, output, padded: false);
            return;
        }
        var dims = new int[rank + 2];
        dims[0] = input.Shape[0];
        dims[1] = input.Shape[1];
        for (int i = 0; i < rank; i++)
        {
            dims[i + 2] = input.Shape[i + 2] + geometry.PadBefore[i] + geometry.PadAfter[i];
        }
        using Tensor padded = Allocate(new Shape(dims), input.DataType);
        if (pass != BackwardData)
        {
            PadCopy("pad", input, padded, geometry, input.ElementCount == 0 ? 0 : padded.ElementCount);
        }
        Call(pass, geometry, padded.Shape, padded, filters, output, padded: true);
        if (pass == BackwardData)
        {
            PadCopy("crop", padded, input, geometry, input.ElementCount);
        }
    }

    /// <summary>
    /// One convolution call with symmetric padding (pad 0 when <paramref name="padded"/>); with
    /// <paramref name="fused"/>, the forward pass with a bias and ReLU or nothing after it, in one
    /// cuDNN call. Channels last when <see cref="ConvolutionLayouts"/> says so.
    /// </summary>
    /// <returns>False only when cuDNN refused the fused call (nothing was queued).</returns>
    private unsafe bool Call(int pass, ConvolutionGeometry geometry, Shape inputShape, Tensor input, Tensor filters, Tensor output, bool padded,
        FusedBias? fused = null)
    {
        int rank = geometry.SpatialRank;
        var call = default(ConvolutionCall);
        for (int i = 0; i < rank + 2; i++)
        {
            call.X[i] = inputShape[i];
            call.W[i] = filters.Shape[i];
            call.Y[i] = output.Shape[i];
        }
        for (int i = 0; i < rank; i++)
        {
            call.Pad[i] = padded ? 0 : geometry.PadBefore[i];
            call.Stride[i] = geometry.Stride[i];
            call.Dilation[i] = geometry.Dilation[i];
        }
        if (input.ElementCount == 0 || output.ElementCount == 0 || filters.ElementCount == 0)
        {
            // Nothing to compute, but the written operand must still be defined (zero).
            Tensor written = pass == Forward ? output : pass == BackwardData ? input : filters;
            Fill(written, 0);
            return true;
        }
        if (_layouts.ChannelsLast(_precision, input.DataType, rank, filters.Shape[1], filters.Shape[0]))
        {
            ConvolutionKey key = LayoutKey(pass, input.DataType, geometry.Groups, rank, ref call);
            if (!_layouts.KnownWithoutAlgorithm(key))
            {
                Outcome outcome = CallChannelsLast(pass, geometry, ref call, input, filters, output, fused);
                if (outcome != Outcome.NoAlgorithm)
                {
                    return outcome == Outcome.Ran;
                }
                // cuDNN has no NHWC algorithm for it (float64 backward data, for one): in the engine's own layout, from now on.
                _layouts.RememberWithoutAlgorithm(key);
            }
        }
        return Run(pass, geometry, ref call, input.DataType, Ptr(input).Address, Ptr(filters).Address, Ptr(output).Address, ShimLayoutNchw, fused)
            == Outcome.Ran;
    }

    /// <summary>What a shim convolution call did: ran, or nothing queued because cuDNN refused the fused call or has no algorithm in this layout.</summary>
    private enum Outcome
    {
        Ran,
        FusedRefused,
        NoAlgorithm,
    }

    /// <summary>The call's identity for the per-layout memory of <see cref="ConvolutionLayouts"/>.</summary>
    private unsafe ConvolutionKey LayoutKey(int pass, DataType type, int groups, int rank, ref ConvolutionCall call)
    {
        fixed (int* x = &call.X[0], w = &call.W[0], y = &call.Y[0], pad = &call.Pad[0], stride = &call.Stride[0], dilation = &call.Dilation[0])
        {
            return ConvolutionKey.Create(pass, (int)type, (int)_precision, groups, rank, x, w, y, pad, stride, dilation);
        }
    }

    /// <summary>
    /// The cuDNN call on device addresses laid out as <paramref name="layout"/> says, with the algorithm measured for that layout.
    /// Channels last, a call cuDNN has no algorithm for (<see cref="NoAlgorithmStatus"/>, nothing queued) returns <see cref="Outcome.NoAlgorithm"/>.
    /// </summary>
    private unsafe Outcome Run(int pass, ConvolutionGeometry geometry, ref ConvolutionCall call, DataType type, nint xp, nint wp, nint yp, int layout,
        FusedBias? fused)
    {
        int rank = geometry.SpatialRank;
        int dataType = (int)type, groups = geometry.Groups;
        fixed (int* x = &call.X[0], w = &call.W[0], y = &call.Y[0], pad = &call.Pad[0], stride = &call.Stride[0], dilation = &call.Dilation[0])
        {
            ConvolutionAlgorithm algorithm = ConvolutionAlgorithms.Heuristic;
            // Without an activation cuDNN's fused forward takes IMPLICIT_PRECOMP_GEMM only (the shim's choice for algo −1).
            if (_algorithms is not null && fused is not { Relu: false })
            {
                // Each layout measures its own algorithms (precision + 16 · layout, as the shim's own cache).
                var key = ConvolutionKey.Create(pass, dataType, (int)_precision + 16 * layout, groups, rank, x, w, y, pad, stride, dilation);
                // A shape first met while a graph is captured runs on the heuristics: a find synchronises.
                if (!_algorithms.TryGet(key, out algorithm))
                {
                    algorithm = ConvolutionAlgorithms.Heuristic;
                    if (ShimNative.ecud_capturing() == 0)
                    {
                        ConvolutionAlgorithm* candidates = stackalloc ConvolutionAlgorithm[16];
                        int returned = 0;
                        ShimLibrary.Check(ShimNative.ecud_convolution_find(pass, dataType, rank, x, w, y, pad, stride, dilation, groups, xp, wp, yp,
                            (nuint)_algorithms.WorkspaceBudget, candidates, 16, &returned), $"measuring the convolution algorithms ({geometry})");
                        algorithm = _algorithms.Record(key, new ReadOnlySpan<ConvolutionAlgorithm>(candidates, returned));
                    }
                }
            }
            int status = fused is { } f
                ? ShimNative.ecud_convolution_bias_activation(dataType, rank, x, w, y, pad, stride, dilation, groups, xp, wp, f.Bias, yp, f.Relu ? 1 : 0,
                    algorithm.Algo, algorithm.Math, algorithm.Workspace)
                : algorithm.Algo < 0
                ? ShimNative.ecud_convolution(pass, dataType, rank, x, w, y, pad, stride, dilation, groups, xp, wp, yp)
                : ShimNative.ecud_convolution_with(pass, dataType, rank, x, w, y, pad, stride, dilation, groups, xp, wp, yp, algorithm.Algo,
                    algorithm.Math, algorithm.Workspace);
            if (status == CudnnRefused && fused is not null)
            {
                return Outcome.FusedRefused;
            }
            if (status == NoAlgorithmStatus && layout == ShimLayoutNhwc)
            {
                return Outcome.NoAlgorithm;
            }
            if (status != 0)
            {
                // The message (geometry formatted) only when it failed: this runs every training step.
                string op = fused is not null ? "ConvolutionForwardWithEpilogue" : pass == Forward ? "ConvolutionForward"
                    : pass == BackwardData ? "ConvolutionBackwardData" : "ConvolutionBackwardFilter";
                ShimLibrary.Check(status, $"{op} ({geometry})");
            }
        }
        return Outcome.Ran;
    }

    /// <summary>pad: small (N, C, spatial) into big (padded); crop: big back into small.</summary>
    private void PadCopy(string kernel, Tensor source, Tensor destination, ConvolutionGeometry geometry, long workItems)
    {
        Tensor small = kernel == "pad" ? source : destination;
        int rank = geometry.SpatialRank;
        Span<int> size = [1, 1, 1];
        Span<int> before = [0, 0, 0];
        Span<int> big = [1, 1, 1];
        for (int i = 0; i < rank; i++)
        {
            int axis = 3 - rank + i;
            size[axis] = small.Shape[i + 2];
            before[axis] = geometry.PadBefore[i];
            big[axis] = size[axis] + geometry.PadBefore[i] + geometry.PadAfter[i];
        }
        _kernels.Launch("memory", kernel, source.DataType, workItems, workItems, Ptr(source), Ptr(destination),
            size[0], size[1], size[2], before[0], before[1], before[2], big[0], big[1], big[2]);
    }
}
