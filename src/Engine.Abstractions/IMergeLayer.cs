namespace Engine;

/// <summary>
/// A layer with several inputs (concatenation for Inception, element-wise add for ResNet skips).
/// In a model it names its inputs (<see cref="LayerSpec.Inputs"/>); the network calls the
/// list-taking members. The single-input members of <see cref="ILayer"/> must still work for one input.
/// </summary>
public interface IMergeLayer : ILayer
{
    /// <summary>Per-sample output shape for the per-sample shapes of all inputs, in order.</summary>
    Shape InferOutputShape(IReadOnlyList<Shape> inputShapes);

    /// <summary>Combines the inputs (same batch size) into one output owned by the layer.</summary>
    Tensor Forward(IReadOnlyList<Tensor> inputs, bool training);

    /// <summary>d(loss)/d(input) for each input, in order. Tensors may be shared (an add passes dy to every input).</summary>
    IReadOnlyList<Tensor> BackwardAll(Tensor outputGradient);
}
