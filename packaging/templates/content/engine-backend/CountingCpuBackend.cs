using Engine;

namespace MyBackend;

/// <summary>
/// A backend that runs on another one: every call goes to <see cref="BackendDecorator.Inner"/>
/// unless overridden. This one counts matrix multiplications; a real backend overrides the ops it
/// implements itself (and answers <see cref="IBackend.Supports"/> for them), or implements
/// <see cref="IBackend"/> directly, validating each op with the <see cref="BackendContract"/>
/// method of the same name before running its kernel.
/// </summary>
public sealed class CountingCpuBackend(IBackend inner) : BackendDecorator(inner, ownsInner: true)
{
    private long _gemmCalls;

    /// <inheritdoc/>
    public override string Name => "counting-cpu";

    /// <inheritdoc/>
    public override string Description => $"GEMM calls counted ({GemmCalls} so far), run by {Inner.Name}: {Inner.Description}";

    /// <summary>How many times <see cref="Gemm"/> was called.</summary>
    public long GemmCalls => Interlocked.Read(ref _gemmCalls);

    /// <inheritdoc/>
    public override void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        Interlocked.Increment(ref _gemmCalls);
        base.Gemm(transposeA, transposeB, alpha, a, b, beta, c);
    }
}
