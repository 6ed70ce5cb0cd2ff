namespace Engine.Core;

public sealed partial class Network
{
    private InferenceFusion? _fusion;
    private TrainingFusion? _trainingFusion;
    private TrainingFusion? _backwardPairs; // the pairs of the last training forward pass (null: none fused)

    /// <summary>
    /// Whether inference passes run a convolution or dense layer together with the batch
    /// normalisation and activation after it, as one product and one pass over its output
    /// (<see cref="IEpilogueLayer"/>); on by default. The result equals the layer-by-layer one up to
    /// rounding (the normalisation is applied as a per-channel scale and shift). Training passes and
    /// the stored parameters are never affected. Off: every layer runs by itself.
    /// </summary>
    public bool FuseInference { get; set; } = true;

    /// <summary>How many layers an inference pass runs inside another layer's epilogue (0 with <see cref="FuseInference"/> off).</summary>
    public int FusedInferenceLayerCount => FuseInference ? Fusion.FusedLayerCount : 0;

    /// <summary>
    /// Whether training passes run a layer and the activation layer after it as one backend call where
    /// the backend fuses it (<see cref="IBackend.FusesConvolutionBiasActivation"/>: the cuDNN backend's
    /// convolution + bias + ReLU), and a batch norm with the ReLU after it as one pass each way
    /// (<see cref="IBackend.FusesBatchNormRelu"/>: the CPU backend); on by default. The forward outputs
    /// and every gradient are those of the layer-by-layer pass up to the rounding of the fused call (the
    /// CPU's batch norm + ReLU: the same bits); where no backend fuses, nothing changes. Off: every
    /// layer runs by itself.
    /// </summary>
    public bool FuseTraining { get; set; } = true;

    /// <summary>How many activation layers a training pass runs inside the layer before them (0 with <see cref="FuseTraining"/> off).</summary>
    public int FusedTrainingLayerCount => FuseTraining ? TrainingPairs.FusedLayerCount : 0;

    private TrainingFusion TrainingPairs => _trainingFusion ??= TrainingFusion.Plan(_layers, _inputs, _consumers[1..], _placement);

    // Planned on first use: which layers fuse depends only on the graph and the backends.
    private InferenceFusion Fusion => _fusion ??=
        InferenceFusion.Plan(_layers, _inputs, _consumers[1..], _feedsMainOutput, _placement, _outputShapes, DataType);
}
