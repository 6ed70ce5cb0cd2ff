namespace Engine.Layers.Standard;

/// <summary>
/// Max or average pooling over 1 to 3 spatial axes of a C×spatial input, channel by channel. The
/// window, stride and padding are fixed when the layer is made; "same" padding is resolved against
/// the input size at shape inference. Average pooling divides by the real (non-padding) elements of
/// each window unless <c>countIncludePad</c> is set. In ceil mode (PyTorch's <c>ceil_mode</c>) the
/// output size rounds up, out = ceil((in + padding − window) / stride) + 1, less one when the last
/// window would start beyond the input and its left padding; the windows that reach past the input
/// run as extra zero padding after it, which never wins a max and is not counted by an average.
/// </summary>
public sealed class PoolingLayer : LayerBase, IPoolingLayer
{
    private static readonly BackendOp[] Ops = [BackendOp.Pooling];
    private readonly PoolingMode _mode;
    private readonly int[] _pool;
    private readonly int[] _stride;
    private readonly WindowPadding _padding;
    private readonly bool _countIncludePad;
    private readonly bool _ceilMode;
    private PoolingGeometry? _geometry;
    private Shape _outputShape;
    private Tensor? _input;
    private Tensor? _result;
    private TensorBuffer? _workspaceBuffer; // what the backend keeps from a training forward for backward (max pooling's arg-max)
    private Tensor? _workspace;             // filled by the latest training forward, null when the backend keeps nothing
    private Shape _workspaceShape;

    internal PoolingLayer(string name, string kind, PoolingMode mode, int[] pool, int[] stride, WindowPadding padding, bool countIncludePad, bool ceilMode = false)
        : base(name, kind)
    {
        if (ceilMode && countIncludePad)
        {
            // PyTorch then divides the last windows by their size clipped to the padded input, which the
            // backends' two divisor rules (whole window, real elements) cannot express.
            throw new ConfigurationException($"layer '{name}' ({kind}): ceil_mode together with count_include_pad is not supported; drop one of them");
        }
        _ceilMode = ceilMode;
        _mode = mode;
        _pool = pool;
        _stride = stride;
        _padding = padding;
        _countIncludePad = countIncludePad;
    }

    /// <inheritdoc/>
    protected override IReadOnlyCollection<BackendOp> OpFamilies => Ops;

    /// <inheritdoc/>
    public override IEnumerable<OpDescriptor> RequiredOps(IReadOnlyList<Shape> inputShapes, DataType dataType) =>
        [new OpDescriptor(BackendOp.Pooling, dataType) { Shape = inputShapes[0], Pooling = Geometry(inputShapes[0]) }];

    /// <inheritdoc/>
    public override Shape InferOutputShape(Shape inputShape) => Geometry(inputShape).Window.OutputShape(inputShape, inputShape[0]);

    /// <inheritdoc/>
    protected override void OnInitialize(LayerContext context)
    {
        _geometry = Geometry(context.InputShape);
        _outputShape = _geometry.Window.OutputShape(context.InputShape, context.InputShape[0]);
    }

    /// <inheritdoc/>
    public PoolingGeometry? PoolingGeometry => _geometry;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        Tensor y = OutputBuffer(training).ForBatch(input.Shape[0], _outputShape);
        _workspace = training ? Workspace(input) : null;
        if (_workspace is { } workspace)
        {
            Backend.PoolingForwardWithWorkspace(_geometry!, input, y, workspace);
        }
        else
        {
            Backend.PoolingForward(_geometry!, input, y);
        }
        (_input, _result) = training ? (input, y) : (null, null);
        return y;
    }

    /// <summary>
    /// The workspace the backend fills in a training forward for the backward (max pooling's arg-max
    /// on the CPU), in memory this layer owns and reuses step after step; null when it wants none.
    /// </summary>
    private Tensor? Workspace(Tensor input)
    {
        if (_mode != PoolingMode.Max)
        {
            return null;
        }
        int elements = Backend.PoolingWorkspaceSize(_geometry!, input.Shape, input.DataType);
        if (elements == 0)
        {
            return null;
        }
        if (_workspaceShape.Rank != 1 || _workspaceShape[0] != elements)
        {
            _workspaceShape = new Shape(elements);
        }
        return (_workspaceBuffer ??= CreateBuffer()).Get(Backend, DataType.Int32, _workspaceShape);
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient)
    {
        Tensor x = _input ?? throw new InvalidOperationException($"layer '{Name}': Backward called without a training Forward");
        Tensor dx = InputGradientBuffer().Like(x);
        if (_workspace is { } workspace)
        {
            Backend.PoolingBackwardWithWorkspace(_geometry!, x, _result!, outputGradient, dx, workspace);
        }
        else
        {
            Backend.PoolingBackward(_geometry!, x, _result!, outputGradient, dx);
        }
        return dx;
    }

    /// <summary>The validated geometry for a per-sample input; every problem names this layer.</summary>
    private PoolingGeometry Geometry(Shape inputShape)
    {
        int rank = _pool.Length;
        if (inputShape.Rank != rank + 1)
        {
            throw ShapeError($"input {inputShape} should be C×{rank} spatial axes ({rank + 1} dimensions)");
        }
        try
        {
            ConvolutionGeometry window = _padding.Geometry(inputShape, _pool, _stride);
            if (_ceilMode)
            {
                window = CeilMode(window, inputShape);
            }
            window.OutputShape(inputShape, inputShape[0]); // throws when the window does not fit
            return new PoolingGeometry(_mode, window, _countIncludePad);
        }
        catch (ShapeException e)
        {
            throw ShapeError($"input {inputShape}, pool {string.Join('x', _pool)}, stride {string.Join('x', _stride)}, padding {_padding}{(_ceilMode ? ", ceil mode" : "")}: {e.Message}");
        }
    }

    /// <summary>
    /// The floor-mode geometry with enough zeros after each axis for PyTorch's ceil-mode output size:
    /// out = ceil((in + before + after − span) / stride) + 1, minus one when window out − 1 would start
    /// at or after in + before (past the input and its left padding).
    /// </summary>
    private static ConvolutionGeometry CeilMode(ConvolutionGeometry window, Shape inputShape)
    {
        int rank = window.SpatialRank;
        int[] after = new int[rank];
        for (int axis = 0; axis < rank; axis++)
        {
            int input = inputShape[axis + 1], before = window.PadBefore[axis], stride = window.Stride[axis];
            int span = window.Dilation[axis] * (window.Kernel[axis] - 1) + 1;
            int padded = input + before + window.PadAfter[axis];
            after[axis] = window.PadAfter[axis];
            if (span > padded)
            {
                continue; // does not fit at all; the floor-mode check reports it
            }
            int output = (padded - span + stride - 1) / stride + 1;
            if ((output - 1) * stride >= input + before)
            {
                output--;
            }
            after[axis] += Math.Max(0, (output - 1) * stride + span - padded);
        }
        return new ConvolutionGeometry(window.Kernel.ToArray(), window.Stride.ToArray(), window.PadBefore.ToArray(), after, window.Dilation.ToArray());
    }
}
