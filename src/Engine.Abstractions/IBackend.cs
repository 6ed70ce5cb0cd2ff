namespace Engine;

/// <summary>
/// A compute backend (SDK 2): it owns tensor memory and runs the primitive operations layers are
/// written against. Every tensor argument must have been allocated by this backend. Calls may be
/// queued (a GPU backend runs them on a stream); <see cref="CopyToHost{T}"/> and
/// <see cref="Synchronize"/> are the only calls that wait for queued work, and the training loop
/// makes them only when it reports. Matrix operands are tensors seen as matrices: rows = first
/// dimension, columns = product of the others (see <see cref="Shape.AsMatrix"/>). Argument
/// validation and each op's reference semantics live in <see cref="BackendContract"/>, which a
/// backend calls before running its kernel, so that every backend refuses the same calls with the
/// same messages.
/// </summary>
public partial interface IBackend : IDisposable
{
    /// <summary>Short name used on the command line, e.g. <c>openblas</c>.</summary>
    string Name { get; }

    /// <summary>Kind of device the memory lives on.</summary>
    DeviceKind Device { get; }

    /// <summary>What the backend runs on, for people: library, version, kernel, threads.</summary>
    string Description { get; }

    /// <summary>
    /// Whether the backend has a kernel for <paramref name="descriptor"/>: its op family, data type
    /// and the parameters that decide (window geometry, activation, update rule, …). A backend that
    /// says yes must then run every call matching the descriptor; the host checks a run's
    /// descriptors before its first step and falls back to another backend, or refuses, for the rest.
    /// </summary>
    bool Supports(OpDescriptor descriptor);

    /// <summary>What may differ from the CPU reference: tolerances and tie rules the conformance kit reads.</summary>
    BackendTraits Traits { get; }

    /// <summary>Allocates an uninitialised tensor owned by the caller.</summary>
    Tensor Allocate(Shape shape, DataType dataType = DataType.Float32);

    /// <summary>Copies host values into <paramref name="destination"/> (element counts must match).</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged;

    /// <summary>Copies <paramref name="source"/> to host memory, waiting for queued work first.</summary>
    void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged;

    /// <summary>Copies between two tensors of this backend with equal element counts.</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>Waits until all queued work has finished.</summary>
    void Synchronize();

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    void Fill(Tensor x, double value);

    /// <summary>
    /// C ← α·op(A)·op(B) + β·C, where op transposes when asked. With β = 0, C's old contents are
    /// ignored (NaNs included).
    /// </summary>
    void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c);

    /// <summary>y ← f(x) element-wise; x and y may be the same tensor.</summary>
    void Unary(UnaryOp op, Tensor x, Tensor y);

    /// <summary>y ← f(a, b) element-wise; y may alias a or b.</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y);

    /// <summary>y ← α·x + β·y.</summary>
    void Axpby(double alpha, Tensor x, double beta, Tensor y);

    /// <summary>y ← activation(x) element-wise with parameter <paramref name="alpha"/> (leaky ReLU slope, ELU α); y may alias x.</summary>
    void ActivationForward(Activation activation, Tensor x, Tensor y, double alpha = 0);

    /// <summary>
    /// dx ← gradient of the activation given its input x, output y and output gradient dy.
    /// dx may alias dy.
    /// </summary>
    void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0);

    /// <summary>y[n, c, …] += bias[c] for a tensor of shape N×C×… and a bias of C elements.</summary>
    void AddChannelBias(Tensor y, Tensor bias);

    /// <summary>sums[c] ← β·sums[c] + Σ over n and spatial positions of x[n, c, …].</summary>
    void SumChannels(Tensor x, Tensor sums, double beta = 0);

    /// <summary>result[0] ← Σ x (result is a one-element tensor).</summary>
    void Sum(Tensor x, Tensor result);

    /// <summary>Row-wise softmax (or log-softmax) of a matrix, numerically stable.</summary>
    void Softmax(Tensor x, Tensor y, bool log = false);

    /// <summary>dx ← gradient of (log-)softmax rows given their output y and dy: y(dy − Σ dy·y), or dy − eʸ Σ dy for log.</summary>
    void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log = false);

    /// <summary>
    /// Cross-correlation y = x ⋆ w of x (N×C×spatial) with filters w (K×C/groups×kernel) into y
    /// (N×K×out spatial). No bias: add it with <see cref="AddChannelBias"/>.
    /// </summary>
    void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y);

    /// <summary>dx ← d(loss)/dx of a convolution given dy and w (dx is overwritten).</summary>
    void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx);

    /// <summary>dw ← d(loss)/dw of a convolution given x and dy (dw is overwritten).</summary>
    void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw);

    /// <summary>
    /// Locally connected layer over 2 spatial axes (groups 1): a different filter per output position,
    /// w of shape P×K×(C·kh·kw) with P = out_h·out_w positions in row-major order; y is N×K×out_h×out_w.
    /// </summary>
    void LocallyConnectedForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y);

    /// <summary>dx ← d(loss)/dx of a locally connected layer.</summary>
    void LocallyConnectedBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx);

    /// <summary>dw ← d(loss)/dw of a locally connected layer.</summary>
    void LocallyConnectedBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw);

    /// <summary>Max or average pooling of x (N×C×spatial) into y (N×C×out spatial).</summary>
    void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y);

    /// <summary>dx ← pooling gradient (overwritten); max pooling routes each dy to the arg-max of its window in x.</summary>
    void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /// <summary>
    /// Batch normalisation of x (N×C×… or N×C) per channel: in training, batch mean and biased
    /// variance are used, saved (mean, 1/√(var + ε)) for backward, and folded into the running
    /// statistics as r ← (1 − momentum)·r + momentum·batch (running variance takes the unbiased
    /// variance, as PyTorch); at inference the running statistics are used and the saved tensors
    /// are not written. y = γ·x̂ + β.
    /// </summary>
    void BatchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training);

    /// <summary>dx, dγ, dβ of training-mode batch normalisation from the saved statistics (all overwritten).</summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta);

    /// <summary>Local response normalisation across channels; <paramref name="scale"/> (same shape) keeps k + α/n·Σa² for backward.</summary>
    void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale);

    /// <summary>dx ← gradient of local response normalisation.</summary>
    void LrnBackward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx);

    /// <summary>
    /// Inverted-dropout mask: element i is 1/(1 − p) when <see cref="CounterRandom.Uniform"/>(seed, i) ≥ p,
    /// else 0, so every backend draws the same mask for the same seed.
    /// </summary>
    void DropoutMask(Tensor mask, double p, ulong seed);

    /// <summary>
    /// Copies <paramref name="channels"/> channels of source (N×Cs×…) starting at
    /// <paramref name="sourceOffset"/> into destination (N×Cd×…, same N and spatial size) starting at
    /// <paramref name="destinationOffset"/>: concatenation forward and backward.
    /// </summary>
    void CopyChannels(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int channels);

    /// <summary>y[n, c, …] ← x[n, c, …]·scale[c]; y may alias x.</summary>
    void ScaleChannels(Tensor x, Tensor scale, Tensor y);

    /// <summary>
    /// Fills with seeded random values. The value at element i depends only on
    /// (<paramref name="seed"/>, i), so every backend produces the same numbers: see
    /// <see cref="CounterRandom"/>.
    /// </summary>
    void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed);

    /// <summary>
    /// One optimiser step for one parameter, fused into a single pass over its elements:
    /// <paramref name="value"/> and the state tensors are updated in place from
    /// <paramref name="gradient"/> (read only) by <paramref name="rule"/> (see <see cref="UpdateRule"/>
    /// for each rule's formula and the meaning of state1…state3). All tensors have the value's element
    /// count and data type; a state a rule does not use under <paramref name="h"/> may be null.
    /// </summary>
    void OptimizerUpdate(UpdateRule rule, in UpdateHyperparameters h, Tensor value, Tensor gradient, Tensor? state1, Tensor? state2, Tensor? state3);

    /// <summary>
    /// y (N×K, floating point) ← one-hot rows of <paramref name="labels"/> (N class indices,
    /// <see cref="DataType.Int32"/>): y[n, labels[n]] = 1, every other element 0. A label outside
    /// [0, K) gives a row of zeros (a device cannot throw; loaders validate labels).
    /// </summary>
    void OneHot(Tensor labels, Tensor y);

    /// <summary>
    /// Running loss statistics without a host read: <paramref name="accumulator"/> is a
    /// <see cref="DataType.Float64"/> tensor of 2 elements; element 0 ← element 0 + weight·value[0]
    /// (value is a one-element tensor of any floating-point type), and when value[0] is not finite
    /// and element 1 is 0, element 1 ← <paramref name="step"/> (so it holds the first non-finite step,
    /// 1-based; 0 while every value was finite).
    /// </summary>
    void AccumulateLoss(Tensor value, double weight, long step, Tensor accumulator);

    /// <summary>
    /// Top-k counts without a host read: for each row n of <paramref name="logits"/> (N×K) with
    /// label t = labels[n] (<see cref="DataType.Int32"/>), its rank r = the number of logits in the
    /// row that are greater than logits[n, t], equal to it at a lower index (ties go to the lower
    /// index, as in <see cref="AccumulateConfusion"/>), or NaN; counts[j] += 1 when r &lt;= j, for every j of
    /// <paramref name="counts"/> (<see cref="DataType.Float64"/>; counts[0] is top-1). A row whose
    /// own logit is NaN, or whose label is outside [0, K), is never counted correct.
    /// </summary>
    void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts);

    /// <summary>
    /// matrix[t, p] += 1 for each row with label t (<see cref="DataType.Int32"/>) in [0, K) and
    /// predicted class p = the first NaN of the row if it has one, else the first maximum;
    /// <paramref name="matrix"/> is K×K <see cref="DataType.Float64"/> (rows: true class).
    /// </summary>
    void AccumulateConfusion(Tensor logits, Tensor labels, Tensor matrix);

    /// <summary>
    /// accumulator[0] ← β·accumulator[0] + Σ x², summed in double; <paramref name="accumulator"/> is
    /// one <see cref="DataType.Float64"/> element (β = 0 starts a new sum; NaN in the old value is then ignored).
    /// </summary>
    void SumOfSquares(Tensor x, Tensor accumulator, double beta);

    /// <summary>
    /// x ← x·(maxNorm / √s) where s = sumOfSquares[0] (<see cref="DataType.Float64"/>) when √s &gt;
    /// maxNorm and s is finite; otherwise x is left as it is. Gradient clipping by global norm,
    /// decided on the backend.
    /// </summary>
    void ClipToNorm(Tensor sumOfSquares, double maxNorm, Tensor x);
}

/// <summary>Where a backend's memory lives.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, computed by the CPU.</summary>
    Cpu,

    /// <summary>Device memory of a GPU.</summary>
    Gpu,
}
