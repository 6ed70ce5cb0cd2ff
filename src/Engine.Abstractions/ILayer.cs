namespace Engine;

/// <summary>
/// One layer of a network. Lifecycle: <see cref="InferOutputShape"/> (pure), then
/// <see cref="Initialize"/> once (allocates parameters on the backend), then any number of
/// <see cref="Forward"/>/<see cref="Backward(Tensor)"/> pairs. Tensors a layer returns are owned by the
/// layer and reused on the next call; callers must not dispose them.
/// </summary>
public interface ILayer : IDisposable
{
    /// <summary>Instance name, unique in a model (e.g. <c>dense1</c>).</summary>
    string Name { get; }

    /// <summary>The registered kind that created it (e.g. <c>dense</c>).</summary>
    string Kind { get; }

    /// <summary>
    /// The backend operations that initialisation, <see cref="Forward"/> and <see cref="Backward(Tensor)"/>
    /// use for these per-sample input shapes and this data type, as descriptors precise enough for
    /// a backend to decide (a convolution's geometry, an activation's kind). Called after shape
    /// inference and before <see cref="Initialize"/>, so a network is checked before anything is allocated.
    /// </summary>
    IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType);

    /// <summary>Learned parameters (empty before <see cref="Initialize"/> and for stateless layers).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Per-sample output shape for a per-sample input shape (both without the batch dimension).
    /// Throws <see cref="ShapeException"/> naming the layer and the numbers when the input does not fit.
    /// </summary>
    Shape InferOutputShape(Shape inputShape);

    /// <summary>Allocates and initialises parameters for the given per-sample input shape.</summary>
    void Initialize(LayerContext context);

    /// <summary>Computes the output for a batch; in training mode it keeps what backward needs.</summary>
    Tensor Forward(Tensor input, bool training);

    /// <summary>
    /// Given d(loss)/d(output) of the latest training forward pass, writes the parameter gradients and
    /// returns d(loss)/d(input).
    /// </summary>
    Tensor Backward(Tensor outputGradient);

    /// <summary>
    /// <see cref="Backward(Tensor)"/> for a caller that may not need d(loss)/d(input): when
    /// <paramref name="needInputGradient"/> is false (the layer reads the model input, whose gradient
    /// nobody asked for) the layer may skip computing it and return null; parameter gradients are
    /// written either way. The default computes it.
    /// </summary>
    Tensor? Backward(Tensor outputGradient, bool needInputGradient) => Backward(outputGradient);

    /// <summary>
    /// What <see cref="Backward(Tensor)"/> reads of the latest training forward pass: its inputs, its
    /// output, both (the default), or neither. A layer that leaves out <see cref="SavedForBackward.Output"/>
    /// or <see cref="SavedForBackward.Input"/> promises not to read it in backward (other than its
    /// shape) and, in training, to return an output that is not a view of its input.
    /// </summary>
    SavedForBackward SavedForBackward => SavedForBackward.InputAndOutput;

    /// <summary>
    /// Offers memory for the output of the next <see cref="Forward"/>: in inference, and in training
    /// when nothing reads the output in backward (see <see cref="SavedForBackward"/>). A network offers
    /// each layer memory it shares with other layers whose outputs are never needed at the same time,
    /// and withdraws it (null) after the call. A layer may ignore the offer (the default); one that
    /// takes it writes only its returned output there.
    /// </summary>
    void OfferInferenceOutput(TensorBuffer? buffer)
    {
    }

    /// <summary>
    /// Offers memory for the input gradient of the next <see cref="Backward(Tensor)"/>. A network
    /// offers each layer memory it shares with the gradients of other layers that are not needed at
    /// the same time (a gradient is dead once the layer that reads it has run backward), and
    /// withdraws it (null) after the call. A layer may ignore the offer (the default) and keep its own
    /// memory; one that takes it writes only its returned input gradient there.
    /// </summary>
    void OfferInputGradient(TensorBuffer? buffer)
    {
    }
}

/// <summary>What a layer needs to initialise itself.</summary>
/// <param name="Backend">The backend that will own its tensors.</param>
/// <param name="InputShape">Per-sample input shape (no batch dimension).</param>
/// <param name="Seed">Seed for this layer's initialisation (already derived per layer).</param>
/// <param name="DataType">Element type of parameters and activations.</param>
public sealed record LayerContext(IBackend Backend, Shape InputShape, ulong Seed, DataType DataType = DataType.Float32)
{
    /// <summary>Per-sample shapes of all inputs (a merge layer has several; others have <see cref="InputShape"/> alone).</summary>
    public IReadOnlyList<Shape> InputShapes { get; init; } = [InputShape];
}
