namespace Engine.Features.Classical;

/// <summary>
/// <c>hog</c>: the HOG descriptor of each image, N×C×H×W (C = 1, or 3 converted to grey with the luma
/// weights 0.299, 0.587, 0.114) → N×F. A fixed feature extractor: no parameters and no gradient
/// with respect to its input (HOG's binning is not differentiable), so it may only be the first
/// layer of a trained model. It is computed on the host (the backend has no histogram op): one copy
/// each way per batch, which is why the classical pipeline extracts features once, not every epoch.
/// </summary>
public sealed class HogLayer(string name, HogOptions options) : LayerBase(name, "hog")
{
    private static readonly BackendOp[] Ops = [BackendOp.Memory];
    private Shape _outputShape;

    /// <summary>The descriptor's parameters.</summary>
    public HogOptions Options { get; } = options;

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3 || inputShape[0] is not (1 or 3))
        {
            throw ShapeError($"takes 1 or 3 channels × height × width, got {inputShape}");
        }
        Options.Check(inputShape[1], inputShape[2], $"layer '{Name}' (hog)");
        return new Shape(Options.FeatureCount(inputShape[1], inputShape[2]));
    }

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        if (context.DataType != DataType.Float32)
        {
            throw new ConfigurationException($"layer '{Name}' (hog) runs in float32 only, not {context.DataType}");
        }
        _outputShape = InferOutputShape(context.InputShape);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        int channels = InputShape[0], height = InputShape[1], width = InputShape[2];
        var pixels = new float[input.ElementCount];
        Backend.CopyToHost<float>(input, pixels);
        int features = _outputShape[0];
        var result = new float[batch * features];
        int sampleSize = channels * height * width;
        Parallel.For(0, batch, n =>
        {
            float[] grey = Grey.FromPlanar(pixels.AsSpan(n * sampleSize, sampleSize), channels, height * width);
            HogDescriptor.Compute(grey, height, width, Options, result.AsSpan(n * features, features));
        });
        Tensor y = OutputBuffer(training).ForBatch(batch, _outputShape);
        Backend.CopyFromHost<float>(result, y);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) =>
        throw new ConfigurationException($"layer '{Name}' (hog) has no gradient with respect to its input; use it only as a model's first layer");

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient, bool needInputGradient) =>
        needInputGradient ? Backward(outputGradient) : null;
}
