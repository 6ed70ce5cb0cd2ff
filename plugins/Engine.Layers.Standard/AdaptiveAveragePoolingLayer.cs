namespace Engine.Layers.Standard;

/// <summary>
/// Adaptive 2-D average pooling to a fixed output size (PyTorch's <c>AdaptiveAvgPool2d</c>), so a
/// classifier after it sees the same size whatever the input: output cell (i, j) of an H×W plane is
/// the mean of rows floor(i·H/oh) … ceil((i+1)·H/oh) − 1 and columns floor(j·W/ow) … ceil((j+1)·W/ow) − 1.
/// When oh divides H and ow divides W these are the windows of a plain average pool (window and
/// stride H/oh × W/ow), which runs as one. Otherwise the windows differ in size and may overlap,
/// which no pooling geometry expresses; the layer then multiplies each plane, seen as a row of H·W
/// values, by a fixed (oh·ow)×(H·W) averaging matrix P built at initialisation: y = x·Pᵀ, dx = dy·P.
/// That is exact and needs only GEMM, which every backend has.
/// </summary>
public sealed class AdaptiveAveragePoolingLayer : LayerBase
{
    private static readonly BackendOp[] Ops = [BackendOp.Pooling, BackendOp.Gemm, BackendOp.Memory];
    private readonly int _outHeight;
    private readonly int _outWidth;
    private readonly PlaneMatrixView _inputMatrix = new();
    private readonly PlaneMatrixView _outputMatrix = new();
    private readonly PlaneMatrixView _outputGradientMatrix = new();
    private readonly PlaneMatrixView _inputGradientMatrix = new();
    private PoolingGeometry? _geometry;
    private Tensor? _averaging;
    private Shape _outputShape;
    private Tensor? _input;
    private Tensor? _result;

    /// <summary>Creates the layer for an output of <paramref name="outHeight"/>×<paramref name="outWidth"/> per channel.</summary>
    internal AdaptiveAveragePoolingLayer(string name, int outHeight, int outWidth)
        : base(name, "adaptive_avg_pool2d")
    {
        _outHeight = outHeight;
        _outWidth = outWidth;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType)
    {
        InferOutputShape(inputShapes[0]);
        return UniformGeometry(inputShapes[0]) is PoolingGeometry geometry
            ? [new OpDescriptor(BackendOp.Pooling, dataType) { Shape = inputShapes[0], Pooling = geometry }]
            : [new OpDescriptor(BackendOp.Gemm, dataType), new OpDescriptor(BackendOp.Memory, dataType)];
    }

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) =>
        inputShape.Rank != 3 || inputShape.ElementCount == 0
            ? throw ShapeError($"input {inputShape} should be C×H×W with no zero dimension")
            : new Shape(inputShape[0], _outHeight, _outWidth);

    /// <summary>
    /// Start (inclusive) and end (exclusive) of output cell <paramref name="index"/>'s window along an
    /// axis of <paramref name="input"/> values pooled to <paramref name="output"/>: PyTorch's
    /// floor(i·in/out) to ceil((i+1)·in/out).
    /// </summary>
    public static (int Start, int End) Window(int index, int input, int output) =>
        ((int)((long)index * input / output), (int)((((long)index + 1) * input + output - 1) / output));

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _outputShape = InferOutputShape(context.InputShape);
        _geometry = UniformGeometry(context.InputShape);
        if (_geometry is null)
        {
            int height = context.InputShape[1], width = context.InputShape[2];
            double[] p = AveragingMatrix(height, width, _outHeight, _outWidth);
            _averaging = Backend.Allocate(new Shape(_outHeight * _outWidth, height * width), DataType);
            if (DataType == DataType.Float32)
            {
                Backend.CopyFromHost<float>(p.Select(v => (float)v).ToArray(), _averaging);
            }
            else
            {
                Backend.CopyFromHost<double>(p, _averaging);
            }
        }
    }

    /// <summary>P, (oh·ow)×(H·W) row-major: row (i, j) holds 1/|window| over the window of cell (i, j).</summary>
    internal static double[] AveragingMatrix(int height, int width, int outHeight, int outWidth)
    {
        var p = new double[outHeight * outWidth * height * width];
        for (int i = 0; i < outHeight; i++)
        {
            var (top, bottom) = Window(i, height, outHeight);
            for (int j = 0; j < outWidth; j++)
            {
                var (left, right) = Window(j, width, outWidth);
                double weight = 1.0 / ((bottom - top) * (right - left));
                int row = (i * outWidth + j) * height * width;
                for (int h = top; h < bottom; h++)
                {
                    for (int w = left; w < right; w++)
                    {
                        p[row + h * width + w] = weight;
                    }
                }
            }
        }
        return p;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        if (_geometry is not null)
        {
            Backend.PoolingForward(_geometry, input, y);
        }
        else
        {
            Backend.Gemm(false, true, 1, _inputMatrix.Of(input), _averaging!, 0, _outputMatrix.Of(y));
        }
        (_input, _result) = training ? (input, y) : (null, null);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        if (_geometry is not null)
        {
            Backend.PoolingBackward(_geometry, x, _result!, outputGradient, dx);
        }
        else
        {
            Backend.Gemm(false, false, 1, _outputGradientMatrix.Of(outputGradient), _averaging!, 0, _inputGradientMatrix.Of(dx));
        }
        return dx;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _averaging?.Dispose();
            _averaging = null;
        }
        base.Dispose(disposing);
    }

    /// <summary>The plain average pool equivalent to this layer for <paramref name="input"/>, or null when a window size varies.</summary>
    private PoolingGeometry? UniformGeometry(Shape input)
    {
        int height = input[1], width = input[2];
        if (height % _outHeight != 0 || width % _outWidth != 0)
        {
            return null;
        }
        int[] window = [height / _outHeight, width / _outWidth];
        return new PoolingGeometry(PoolingMode.Average, new ConvolutionGeometry(window, window, [0, 0], [0, 0], [1, 1]));
    }

    /// <summary>An N×C×H×W tensor seen as the (N·C)×(H·W) matrix of its planes, cached per tensor.</summary>
    private sealed class PlaneMatrixView
    {
        private Tensor? _source;
        private Tensor? _view;

        public Tensor Of(Tensor source)
        {
            if (_view is null || !ReferenceEquals(source, _source))
            {
                Shape s = source.Shape;
                _view = source.Reshape(new Shape(s[0] * s[1], s[2] * s[3]));
                _source = source;
            }
            return _view;
        }
    }
}
