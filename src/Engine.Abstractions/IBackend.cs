namespace Engine;

/// <summary>
/// A compute backend: it owns tensor memory and runs the primitive operations layers are written
/// against. Every tensor argument must have been allocated by this backend. Calls may be queued
/// (a GPU backend runs them on a stream); <see cref="CopyToHost{T}"/> and
/// <see cref="Synchronize"/> wait for queued work. Matrix operands are tensors seen as matrices:
/// rows = first dimension, columns = product of the others (see <see cref="Shape.AsMatrix"/>).
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short name used on the command line, e.g. <c>openblas</c>.</summary>
    string Name { get; }

    /// <summary>Kind of device the memory lives on.</summary>
    DeviceKind Device { get; }

    /// <summary>What the backend runs on, for people: library, version, kernel, threads.</summary>
    string Description { get; }

    /// <summary>Whether <paramref name="op"/> is implemented for <paramref name="dataType"/>.</summary>
    bool Supports(BackendOp op, DataType dataType);

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

    /// <summary>
    /// dx ← gradient of the activation given its input x, output y and output gradient dy.
    /// dx may alias dy.
    /// </summary>
    void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /// <summary>y[n, c, …] += bias[c] for a tensor of shape N×C×… and a bias of C elements.</summary>
    void AddChannelBias(Tensor y, Tensor bias);

    /// <summary>sums[c] ← β·sums[c] + Σ over n and spatial positions of x[n, c, …].</summary>
    void SumChannels(Tensor x, Tensor sums, double beta = 0);

    /// <summary>result[0] ← Σ x (result is a one-element tensor).</summary>
    void Sum(Tensor x, Tensor result);

    /// <summary>Row-wise softmax (or log-softmax) of a matrix, numerically stable.</summary>
    void Softmax(Tensor x, Tensor y, bool log = false);

    /// <summary>
    /// Fills with seeded random values. The value at element i depends only on
    /// (<paramref name="seed"/>, i), so every backend produces the same numbers: see
    /// <see cref="CounterRandom"/>.
    /// </summary>
    void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed);
}

/// <summary>Where a backend's memory lives.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, computed by the CPU.</summary>
    Cpu,

    /// <summary>Device memory of a GPU.</summary>
    Gpu,
}
