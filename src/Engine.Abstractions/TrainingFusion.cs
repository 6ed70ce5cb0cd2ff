namespace Engine;

/// <summary>
/// A layer whose forward pass can end with its bias and the activation layer after it in one backend
/// call (the convolution: <see cref="IBackend.ConvolutionForwardBiasActivation"/>), in training as in
/// inference. In training the layer keeps what its backward pass reads (its input), and its backward
/// pass is unchanged: it receives d(loss)/d(its output before the activation) from the activation
/// layer, whose own backward reads the fused output (<see cref="IFusableActivationLayer"/>).
/// </summary>
public interface IBiasActivationLayer : ILayer
{
    /// <summary>Whether the layer's backend runs the product, bias and <paramref name="activation"/> as one fused operation here.</summary>
    bool FusesBiasActivation(Activation activation, bool training);

    /// <summary>
    /// The forward pass followed by <paramref name="activation"/>: y = f(product + bias). A training
    /// pass writes it where <see cref="ILayer.Forward"/>'s training output would go and keeps the
    /// input for backward.
    /// </summary>
    Tensor ForwardWithBiasActivation(Tensor input, bool training, Activation activation, double alpha);
}

/// <summary>
/// An activation layer whose training forward pass the layer before it can compute
/// (<see cref="IBiasActivationLayer"/>): possible when its backward pass reads only its output (ReLU,
/// sigmoid, tanh: their derivatives are functions of the output).
/// </summary>
public interface IFusableActivationLayer : IActivationLayer
{
    /// <summary>Whether backward reads only the output, so that the layer's input need not exist.</summary>
    bool BackwardFromOutput { get; }

    /// <summary>
    /// Takes <paramref name="output"/>, computed by the layer before it, as this training pass's output,
    /// which its backward pass then reads in place of one it computed itself.
    /// </summary>
    void AdoptTrainingOutput(Tensor output);
}

/// <summary>
/// A layer whose training passes can take in the activation layer after it, forward and backward
/// (the batch norm, where the backend fuses it: <see cref="IBackend.FusesBatchNormRelu"/>).
/// After <see cref="ForwardWithActivation"/>, the layer's output is f(what it would have written) and
/// its next <see cref="ILayer.Backward(Tensor)"/> receives d(loss)/d(that output), applying f′ itself;
/// the activation layer adopts the output (<see cref="IFusableActivationLayer.AdoptTrainingOutput"/>)
/// and the network passes its gradient through unchanged, so neither of its passes runs.
/// </summary>
public interface IActivationFusingLayer : ILayer
{
    /// <summary>Whether a training pass of this layer gains by taking in <paramref name="activation"/> (its backend fuses the pair).</summary>
    bool FusesActivationInTraining(Activation activation);

    /// <summary>
    /// The training forward pass followed by <paramref name="activation"/> (parameter
    /// <paramref name="alpha"/>): y = f(forward(input)), written where the training output would go.
    /// The next backward pass then takes d(loss)/dy.
    /// </summary>
    Tensor ForwardWithActivation(Tensor input, Activation activation, double alpha);
}
