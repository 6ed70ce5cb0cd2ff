namespace Engine.Layers.Standard;

/// <summary>
/// Zero channels added before and after the input's, C×spatial → (before + C + after)×spatial: the
/// "option A" shortcut of He et al.'s CIFAR ResNets, where a strided identity meets a block with more
/// channels and the missing ones are zeros (no parameters). Backward returns the gradient of the
/// input's own channels.
/// </summary>
public sealed class ChannelPaddingLayer : LayerBase
{
    private static readonly BackendOp[] Ops = [BackendOp.CopyChannels, BackendOp.Memory];
    private readonly int _before;
    private readonly int _after;
    private Shape _outputShape;
    private Tensor? _input;

    internal ChannelPaddingLayer(string name, int before, int after)
        : base(name, "pad_channels")
    {
        _before = before;
        _after = after;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1 || inputShape.ElementCount == 0)
        {
            throw ShapeError($"input {inputShape} should be C or C×spatial with no zero dimension");
        }
        int[] dims = inputShape.AsSpan().ToArray();
        dims[0] += _before + _after;
        return new Shape(dims);
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _outputShape = InferOutputShape(context.InputShape);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        // The output buffer may be shared memory in inference, so the zeros are written every pass.
        Backend.Fill(y, 0);
        Backend.CopyChannels(input, 0, y, _before, InputShape[0]);
        _input = training ? input : null;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        Backend.CopyChannels(outputGradient, _before, dx, 0, InputShape[0]);
        return dx;
    }
}
