namespace Engine;

/// <summary>
/// The primitive operations of <see cref="IBackend"/>. A backend says which it supports (per data
/// type) through <see cref="IBackend.Supports"/>; a layer lists the ones it needs in
/// <see cref="ILayer.RequiredOps"/> so that a network is refused up front, naming the op and the
/// backend, rather than failing half-way through a step.
/// </summary>
public enum BackendOp
{
    /// <summary>Allocation, host↔backend copies, backend copies, fill.</summary>
    Memory,

    /// <summary>General matrix multiply, <see cref="IBackend.Gemm"/>.</summary>
    Gemm,

    /// <summary>Element-wise unary functions, <see cref="IBackend.Unary"/>.</summary>
    Unary,

    /// <summary>Element-wise binary functions, <see cref="IBackend.Binary"/>.</summary>
    Binary,

    /// <summary>Scaled addition y ← αx + βy, <see cref="IBackend.Axpby"/>.</summary>
    Axpby,

    /// <summary>Activation gradients, <see cref="IBackend.ActivationBackward"/>.</summary>
    ActivationBackward,

    /// <summary>Per-channel bias add, <see cref="IBackend.AddChannelBias"/>.</summary>
    ChannelBias,

    /// <summary>Per-channel sums (bias gradients), <see cref="IBackend.SumChannels"/>.</summary>
    ChannelSum,

    /// <summary>Sum of all elements, <see cref="IBackend.Sum"/>.</summary>
    Sum,

    /// <summary>Row-wise softmax and log-softmax, <see cref="IBackend.Softmax"/>.</summary>
    Softmax,

    /// <summary>Seeded random fill, <see cref="IBackend.FillRandom"/>.</summary>
    Random,

    /// <summary>Activation forward with a parameter, <see cref="IBackend.ActivationForward"/>.</summary>
    ActivationForward,

    /// <summary>Convolution forward, backward-data and backward-filter (1–3 spatial axes, groups, dilation).</summary>
    Convolution,

    /// <summary>Locally connected (unshared weights) forward and backward, 2 spatial axes.</summary>
    LocallyConnected,

    /// <summary>Max and average pooling forward and backward.</summary>
    Pooling,

    /// <summary>Batch normalisation forward (training and inference) and backward.</summary>
    BatchNorm,

    /// <summary>Local response normalisation forward and backward.</summary>
    Lrn,

    /// <summary>Inverted-dropout masks, <see cref="IBackend.DropoutMask"/>.</summary>
    Dropout,

    /// <summary>Softmax / log-softmax backward, <see cref="IBackend.SoftmaxBackward"/>.</summary>
    SoftmaxBackward,

    /// <summary>Channel-range copies (concatenation), <see cref="IBackend.CopyChannels"/>.</summary>
    CopyChannels,

    /// <summary>Per-channel scaling, <see cref="IBackend.ScaleChannels"/>.</summary>
    ScaleChannels,
}

/// <summary>Element-wise unary functions y = f(x).</summary>
public enum UnaryOp
{
    /// <summary>y = x.</summary>
    Identity,
    /// <summary>y = −x.</summary>
    Negate,
    /// <summary>y = |x|.</summary>
    Abs,
    /// <summary>y = x².</summary>
    Square,
    /// <summary>y = √x.</summary>
    Sqrt,
    /// <summary>y = eˣ.</summary>
    Exp,
    /// <summary>y = ln x.</summary>
    Log,
    /// <summary>y = max(0, x).</summary>
    Relu,
    /// <summary>y = 1 / (1 + e⁻ˣ).</summary>
    Sigmoid,
    /// <summary>y = tanh x.</summary>
    Tanh,
    /// <summary>y = sign x (−1, 0 or 1).</summary>
    Sign,
}

/// <summary>Element-wise binary functions y = f(a, b) on tensors of equal element count.</summary>
public enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Subtract,
    /// <summary>a · b.</summary>
    Multiply,
    /// <summary>a / b.</summary>
    Divide,
    /// <summary>max(a, b).</summary>
    Max,
    /// <summary>min(a, b).</summary>
    Min,
}

/// <summary>Activations computed by <see cref="IBackend.ActivationForward"/> and <see cref="IBackend.ActivationBackward"/>; α is their parameter where they have one.</summary>
public enum Activation
{
    /// <summary>dx = dy · [x &gt; 0].</summary>
    Relu,
    /// <summary>dx = dy · y(1 − y).</summary>
    Sigmoid,
    /// <summary>dx = dy · (1 − y²).</summary>
    Tanh,
    /// <summary>y = x for x &gt; 0, αx otherwise; dx = dy · (x &gt; 0 ? 1 : α).</summary>
    LeakyRelu,
    /// <summary>y = x for x &gt; 0, α(eˣ − 1) otherwise; dx = dy · (x &gt; 0 ? 1 : y + α).</summary>
    Elu,
}

/// <summary>Distributions for <see cref="IBackend.FillRandom"/>.</summary>
public enum RandomDistribution
{
    /// <summary>Uniform on [a, b).</summary>
    Uniform,
    /// <summary>Normal with mean a and standard deviation b.</summary>
    Normal,
}
