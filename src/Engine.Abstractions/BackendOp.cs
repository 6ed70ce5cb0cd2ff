namespace Engine;

/// <summary>
/// The op families of <see cref="IBackend"/>. A backend says what it supports per
/// <see cref="OpDescriptor"/> (family, data type and the parameters that decide whether a kernel
/// exists) through <see cref="IBackend.Supports(OpDescriptor)"/>; layers, losses, optimisers and
/// the trainer list the descriptors they need, so that a run is checked before its first step.
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

    /// <summary>Fused optimiser updates, <see cref="IBackend.OptimizerUpdate"/>.</summary>
    OptimizerUpdate,

    /// <summary>Class indices to one-hot rows, <see cref="IBackend.OneHot"/>.</summary>
    OneHot,

    /// <summary>Running loss sum and first non-finite step, <see cref="IBackend.AccumulateLoss"/>.</summary>
    AccumulateLoss,

    /// <summary>Top-k correct counts, <see cref="IBackend.AccumulateTopK"/>.</summary>
    AccumulateTopK,

    /// <summary>Confusion-matrix counts, <see cref="IBackend.AccumulateConfusion"/>.</summary>
    AccumulateConfusion,

    /// <summary>Running sum of squares (gradient norms), <see cref="IBackend.SumOfSquares"/>.</summary>
    SumOfSquares,

    /// <summary>Scaling to a maximum global norm read on the backend, <see cref="IBackend.ClipToNorm"/>.</summary>
    ClipToNorm,

    /// <summary>Per-channel affine map and activation in one pass, <see cref="IBackend.ChannelAffine"/>.</summary>
    ChannelAffine,
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

/// <summary>
/// The update rules of <see cref="IBackend.OptimizerUpdate"/>, each as PyTorch's <c>torch.optim</c>
/// class of the same name computes it for one parameter tensor. g is the gradient, θ the value;
/// "g ← g + wd·θ" (L2 weight decay) is applied first unless the rule says otherwise.
/// </summary>
public enum UpdateRule
{
    /// <summary>
    /// SGD with momentum μ, dampening d, Nesterov: with μ ≠ 0, state1 = buffer b ← g on the first step,
    /// else b ← μ·b + (1 − d)·g; the step is g + μ·b (Nesterov) or b; θ ← θ − lr·step.
    /// </summary>
    Sgd,

    /// <summary>Adagrad: state1 = sum s ← s + g²; θ ← θ − lr·g/(√s + ε). The caller decays lr (lr_decay).</summary>
    Adagrad,

    /// <summary>
    /// RMSprop with α = <see cref="UpdateHyperparameters.Beta2"/>: state1 = square average v ← α·v + (1 − α)·g²;
    /// centred: state3 = mean gradient a ← α·a + (1 − α)·g and d = √(v − a²) + ε, else d = √v + ε;
    /// with momentum μ &gt; 0, state2 = buffer b ← μ·b + g/d and θ ← θ − lr·b, else θ ← θ − lr·g/d.
    /// </summary>
    RmsProp,

    /// <summary>
    /// Adam, and AdamW with <see cref="UpdateHyperparameters.DecoupledWeightDecay"/> (θ ← θ·(1 − lr·wd)
    /// instead of adding wd·θ to g): state1 = m ← β1·m + (1 − β1)·g, state2 = v ← β2·v + (1 − β2)·g²;
    /// AMSGrad: state3 = v̂ ← max(v̂, v), used in place of v. θ ← θ − (lr/c1)·m/(√v/√c2 + ε) with the
    /// bias corrections c1, c2.
    /// </summary>
    Adam,

    /// <summary>
    /// RAdam: m and v as Adam (state1, state2); with rectification r &gt; 0,
    /// θ ← θ − lr·r·(m/c1)·√c2/(√v + ε); with r = 0 (ρ_t ≤ 5), θ ← θ − lr·m/c1.
    /// </summary>
    RAdam,
}

/// <summary>
/// The scalars of one <see cref="IBackend.OptimizerUpdate"/> call. Step-dependent factors (bias
/// corrections, the RAdam rectification, a decayed rate) are computed by the caller in double, so
/// the backend only runs the element-wise arithmetic. Unused fields are ignored by a rule.
/// </summary>
public readonly record struct UpdateHyperparameters
{
    /// <summary>Learning rate of this step.</summary>
    public double LearningRate { get; init; }

    /// <summary>Weight decay wd (0: none).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Adam/RAdam: decay θ by lr·wd directly (AdamW) instead of adding wd·θ to the gradient.</summary>
    public bool DecoupledWeightDecay { get; init; }

    /// <summary>SGD and RMSprop momentum μ (0: none).</summary>
    public double Momentum { get; init; }

    /// <summary>SGD dampening d.</summary>
    public double Dampening { get; init; }

    /// <summary>SGD: Nesterov momentum.</summary>
    public bool Nesterov { get; init; }

    /// <summary>SGD: this is the buffer's first step, so it is set to the gradient (as PyTorch), not decayed.</summary>
    public bool FirstStep { get; init; }

    /// <summary>Adam/RAdam first-moment decay β1.</summary>
    public double Beta1 { get; init; }

    /// <summary>Adam/RAdam second-moment decay β2; RMSprop's smoothing constant α.</summary>
    public double Beta2 { get; init; }

    /// <summary>ε added to the denominator.</summary>
    public double Epsilon { get; init; }

    /// <summary>RMSprop: centred (normalise by the variance estimate).</summary>
    public bool Centered { get; init; }

    /// <summary>Adam: AMSGrad (keep the running maximum of v in state3).</summary>
    public bool AmsGrad { get; init; }

    /// <summary>Adam/RAdam: c1 = 1 − β1^t for 1-based step t.</summary>
    public double BiasCorrection1 { get; init; }

    /// <summary>Adam/RAdam: c2 = 1 − β2^t for 1-based step t.</summary>
    public double BiasCorrection2 { get; init; }

    /// <summary>RAdam: the rectification r_t when ρ_t &gt; 5, else 0 (an un-adapted momentum step).</summary>
    public double Rectification { get; init; }
}
