namespace Engine.Layers.Standard;

/// <summary>
/// Batch normalisation with the ReLU after it in one training pass each way, where the backend fuses
/// them (<see cref="IBackend.FusesBatchNormRelu"/>): the normalising pass writes max(y, 0), and backward
/// applies ReLU's mask as it reads the gradient, so neither the ReLU's forward nor its backward pass
/// over the tensor runs. Synchronised batch norm (a cross-replica sum set for this pass) runs the two
/// steps one after the other instead, with the same meaning.
/// </summary>
public sealed partial class BatchNormLayer : IActivationFusingLayer
{
    private ReluStep _relu; // how the last training forward took in the ReLU after it
    private Tensor? _output;
    private TensorBuffer? _reluGradient;

    private enum ReluStep
    {
        None,
        InBackend, // BatchNormReluForward: backward is BatchNormReluBackward
        Separate,  // forward then ReLU: backward is ReLU's, then the layer's own
    }

    /// <inheritdoc/>
    public bool FusesActivationInTraining(Activation activation) =>
        activation == Activation.Relu && _gamma is not null && Backend.FusesBatchNormRelu(DataType);

    /// <inheritdoc/>
    public Tensor ForwardWithActivation(Tensor input, Activation activation, double alpha)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (activation != Activation.Relu)
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, $"layer '{Name}': only ReLU is taken into batch norm");
        }
        if (CrossReplicaSum is not null || !Backend.FusesBatchNormRelu(DataType))
        {
            Tensor normalised = Forward(input, training: true);
            Backend.ActivationForward(Activation.Relu, normalised, normalised);
            (_relu, _output) = (ReluStep.Separate, normalised);
            return normalised;
        }
        _synchronized = false;
        CheckTrainingBatch(input);
        Tensor y = OutputBuffer(training: true).Like(input);
        Backend.BatchNormReluForward(input, _gamma!.Value, _beta!.Value, _runningMean!, _runningVariance!, _savedMean!, _savedInvStd!,
            y, epsilon, momentum);
        (_input, _relu, _output) = (input, ReluStep.InBackend, y);
        return y;
    }

    // d(loss)/d(the normalised output) from d(loss)/d(ReLU's output), where the backend did not fuse: ReLU's own backward.
    private Tensor BeforeRelu(Tensor outputGradient)
    {
        Tensor y = _output!;
        Tensor dz = (_reluGradient ??= CreateBuffer()).Like(y);
        Backend.ActivationBackward(Activation.Relu, y, y, outputGradient, dz);
        return dz;
    }
}
