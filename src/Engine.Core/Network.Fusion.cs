namespace Engine.Core;

public sealed partial class Network
{
    private InferenceFusion? _fusion;

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

    // Planned on first use: which layers fuse depends only on the graph and the backends.
    private InferenceFusion Fusion => _fusion ??=
        InferenceFusion.Plan(_layers, _inputs, _consumers[1..], _feedsMainOutput, _placement, _outputShapes, DataType);
}
