namespace Engine;

/// <summary>
/// A layer whose output is a linear product plus an optional per-channel bias (convolution, dense),
/// which an inference pass can finish with an epilogue instead: the bias, a batch normalisation read
/// from the layer after it and the activation after that, applied by one
/// <see cref="IBackend.ChannelAffine"/> pass over the output (see <see cref="IChannelAffineLayer"/>
/// and <see cref="IActivationLayer"/>). The network decides when; the layer only runs it.
/// </summary>
public interface IEpilogueLayer : ILayer
{
    /// <summary>The per-output-channel bias the layer adds (null: none); the epilogue's shift then carries it.</summary>
    Tensor? OutputBias { get; }

    /// <summary>
    /// An inference forward pass: the layer's product without its bias, then
    /// y[n, c, …] ← f(scale[c]·y[n, c, …] + shift[c]) in place (<see cref="IBackend.ChannelAffine"/>).
    /// The output lives where <see cref="ILayer.Forward"/>'s would.
    /// </summary>
    Tensor ForwardWithEpilogue(Tensor input, Tensor scale, Tensor shift, Activation? activation, double alpha);

    /// <summary>
    /// <see cref="ForwardWithEpilogue"/> followed by the pooling <paramref name="pool"/> of its output, as one
    /// step that never stores the full-size output (<see cref="IBackend.TryConvolutionForwardPooled"/>):
    /// returns the pooled output, or null, having computed nothing, where the layer or its backend has no
    /// such kernel (the default); the pooling layer then runs by itself on <see cref="ForwardWithEpilogue"/>'s output.
    /// </summary>
    Tensor? ForwardWithEpiloguePooled(Tensor input, Tensor scale, Tensor shift, Activation? activation, double alpha, PoolingGeometry pool) => null;

    /// <summary>
    /// <see cref="ForwardWithEpilogue"/> with <paramref name="residual"/> (the output's shape) added after the
    /// scale and shift and before the activation, as one step (<see cref="IBackend.TryConvolutionForwardResidual"/>):
    /// y = f(scale[c]·product + shift[c] + residual), a residual block's last product, normalisation, shortcut
    /// sum and activation. Returns the output, or null, having computed nothing, where the layer or its backend
    /// has no such kernel (the default); the sum and the activation then run as their own layers.
    /// </summary>
    Tensor? ForwardWithEpilogueResidual(Tensor input, Tensor scale, Tensor shift, Tensor residual, Activation? activation, double alpha) => null;
}

/// <summary>
/// A layer that at inference is a per-channel affine map y = scale[c]·x + shift[c]: batch
/// normalisation with its running statistics, which an inference pass folds into the layer before it
/// (<see cref="IEpilogueLayer"/>).
/// </summary>
public interface IChannelAffineLayer : ILayer
{
    /// <summary>
    /// Writes the map's scale and shift (C elements each, on the layer's backend) for an input that is
    /// x + <paramref name="inputBias"/>[c] (null: x), so that the result equals the layer's inference
    /// output for that input up to rounding. Reads the current parameters and state, so it is called
    /// again before every pass.
    /// </summary>
    void InferenceAffine(Tensor? inputBias, Tensor scale, Tensor shift);
}

/// <summary>An element-wise activation layer, which an inference pass can fuse into the layer before it (<see cref="IEpilogueLayer"/>).</summary>
public interface IActivationLayer : ILayer
{
    /// <summary>Which activation.</summary>
    Activation Activation { get; }

    /// <summary>Its parameter (leaky ReLU slope, ELU α; ignored by the others).</summary>
    double Alpha { get; }
}

/// <summary>
/// A merge layer whose output is the element-wise sum of its inputs (all of one shape): a residual
/// block's join, which an inference pass can run inside the epilogue of the layer that computes one of
/// its inputs (<see cref="IEpilogueLayer.ForwardWithEpilogueResidual"/>).
/// </summary>
public interface ISumLayer : IMergeLayer
{
}

/// <summary>A pooling layer, which an inference pass can run inside the layer before its activation (<see cref="IEpilogueLayer.ForwardWithEpiloguePooled"/>).</summary>
public interface IPoolingLayer : ILayer
{
    /// <summary>The layer's pooling for its input shape (null before the layer is initialised).</summary>
    PoolingGeometry? PoolingGeometry { get; }
}
