namespace Engine.Features.Classical;

/// <summary>
/// <c>hog</c>: the HOG descriptor of each image, N×C×H×W (C = 1, or 3 converted to grey with the luma
/// weights 0.299, 0.587, 0.114) → N×F. A fixed feature extractor without parameters; its backward pass
/// is HOG's exact derivative with every pixel's bin and cell held fixed (see
/// <see cref="HogDescriptor.Backward"/>), so it can sit anywhere in a model. It is computed on the host
/// (the backend has no histogram op): one copy each way per batch, which is why the classical
/// pipeline extracts features once, not every epoch.
/// </summary>
public sealed class HogLayer(string name, HogOptions options) : LayerBase(name, "hog")
{
    private static readonly BackendOp[] Ops = [BackendOp.Memory];
    private Shape _outputShape;
    private TensorBuffer? _inputGradient;
    private double[]? _greys;
    private int _batch;

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
        _outputShape = InferOutputShape(context.InputShape);
        _inputGradient = CreateBuffer();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        int batch = input.Shape[0], plane = InputShape[1] * InputShape[2], features = _outputShape[0];
        double[] greys = Greys(input, batch, plane);
        var result = new double[batch * features];
        bool float32 = DataType == DataType.Float32;
        Parallel.For(0, batch, n => HogDescriptor.Compute(greys.AsSpan(n * plane, plane), InputShape[1], InputShape[2], Options,
            result.AsSpan(n * features, features), float32Gradients: float32));
        Tensor y = OutputBuffer(training).ForBatch(batch, _outputShape);
        Upload(result, y);
        (_greys, _batch) = training ? (greys, batch) : (null, 0);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient) => Backward(outputGradient, needInputGradient: true)!;

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient, bool needInputGradient)
    {
        double[] greys = _greys ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        if (!needInputGradient)
        {
            return null;
        }
        int channels = InputShape[0], plane = InputShape[1] * InputShape[2], features = _outputShape[0];
        double[] dy = Download(outputGradient);
        var dx = new double[_batch * channels * plane];
        Parallel.For(0, _batch, n =>
        {
            var dGrey = new double[plane];
            HogDescriptor.Backward(greys.AsSpan(n * plane, plane), InputShape[1], InputShape[2], Options, dy.AsSpan(n * features, features), dGrey);
            Span<double> sample = dx.AsSpan(n * channels * plane, channels * plane);
            double[] weights = channels == 1 ? [1.0] : [Grey.R, Grey.G, Grey.B];
            for (int c = 0; c < channels; c++)
            {
                for (int i = 0; i < plane; i++)
                {
                    sample[(c * plane) + i] = weights[c] * dGrey[i];
                }
            }
        });
        Tensor gradient = _inputGradient!.ForBatch(_batch, InputShape);
        Upload(dx, gradient);
        return gradient;
    }

    // The batch's grey planes in double: float32 input made grey in float32 (as the engine's image
    // loader does), float64 input in float64.
    private double[] Greys(Tensor input, int batch, int plane)
    {
        int channels = InputShape[0];
        var greys = new double[batch * plane];
        if (DataType == DataType.Float32)
        {
            var pixels = new float[input.ElementCount];
            Backend.CopyToHost<float>(input, pixels);
            for (int n = 0; n < batch; n++)
            {
                float[] grey = Grey.FromPlanar(pixels.AsSpan(n * channels * plane, channels * plane), channels, plane);
                for (int i = 0; i < plane; i++)
                {
                    greys[(n * plane) + i] = grey[i];
                }
            }
            return greys;
        }
        double[] values = Download(input);
        for (int n = 0; n < batch; n++)
        {
            for (int i = 0; i < plane; i++)
            {
                int at = n * channels * plane;
                greys[(n * plane) + i] = channels == 1 ? values[at + i]
                    : (Grey.R * values[at + i]) + (Grey.G * values[at + plane + i]) + (Grey.B * values[at + (2 * plane) + i]);
            }
        }
        return greys;
    }

    private double[] Download(Tensor t)
    {
        var values = new double[t.ElementCount];
        if (t.DataType == DataType.Float64)
        {
            Backend.CopyToHost<double>(t, values);
            return values;
        }
        var floats = new float[t.ElementCount];
        Backend.CopyToHost<float>(t, floats);
        for (int i = 0; i < floats.Length; i++)
        {
            values[i] = floats[i];
        }
        return values;
    }

    private void Upload(double[] values, Tensor t)
    {
        if (t.DataType == DataType.Float64)
        {
            Backend.CopyFromHost<double>(values, t);
        }
        else
        {
            Backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), t);
        }
    }
}
