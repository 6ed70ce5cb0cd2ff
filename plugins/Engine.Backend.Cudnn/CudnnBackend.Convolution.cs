namespace Engine.Backend.Cudnn;

/// <summary>Convolutions: cuDNN, with asymmetric padding done by an explicit zero-padded copy.</summary>
public sealed partial class CudnnBackend
{
    private const int Forward = 0, BackwardData = 1, BackwardFilter = 2;

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

    private unsafe void Call(int pass, ConvolutionGeometry geometry, Shape inputShape, Tensor input, Tensor filters, Tensor output, bool padded)
    {
        int rank = geometry.SpatialRank;
        int* x = stackalloc int[5];
        int* w = stackalloc int[5];
        int* y = stackalloc int[5];
        int* pad = stackalloc int[3];
        int* stride = stackalloc int[3];
        int* dilation = stackalloc int[3];
        for (int i = 0; i < rank + 2; i++)
        {
            x[i] = inputShape[i];
            w[i] = filters.Shape[i];
            y[i] = output.Shape[i];
        }
        for (int i = 0; i < rank; i++)
        {
            pad[i] = padded ? 0 : geometry.PadBefore[i];
            stride[i] = geometry.Stride[i];
            dilation[i] = geometry.Dilation[i];
        }
        if (input.ElementCount == 0 || output.ElementCount == 0 || filters.ElementCount == 0)
        {
            // Nothing to compute, but the written operand must still be defined (zero).
            Tensor written = pass == Forward ? output : pass == BackwardData ? input : filters;
            Fill(written, 0);
            return;
        }
        nint xp = Ptr(input).Address, wp = Ptr(filters).Address, yp = Ptr(output).Address;
        int dataType = (int)input.DataType, groups = geometry.Groups;
        ConvolutionAlgorithm algorithm = ConvolutionAlgorithms.Heuristic;
        if (_algorithms is not null)
        {
            var key = ConvolutionKey.Create(pass, dataType, (int)_precision, groups, rank, x, w, y, pad, stride, dilation);
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
        int status = algorithm.Algo < 0
            ? ShimNative.ecud_convolution(pass, dataType, rank, x, w, y, pad, stride, dilation, groups, xp, wp, yp)
            : ShimNative.ecud_convolution_with(pass, dataType, rank, x, w, y, pad, stride, dilation, groups, xp, wp, yp, algorithm.Algo,
                algorithm.Math, algorithm.Workspace);
        if (status != 0)
        {
            // The message (geometry formatted) only when it failed: this runs every training step.
            string op = pass == Forward ? "ConvolutionForward" : pass == BackwardData ? "ConvolutionBackwardData" : "ConvolutionBackwardFilter";
            ShimLibrary.Check(status, $"{op} ({geometry})");
        }
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
