namespace Engine.Backend.Partial;

/// <summary>
/// A backend that lies: it claims every op of OpenBLAS but fails max pooling forward with a plain
/// .NET exception, as a buggy plugin would. The CLI must report it as that backend's failure, naming
/// the op, in one line (not a crash with a stack trace).
/// </summary>
internal sealed class FaultyBackend(IBackend inner) : BackendDecorator(inner, ownsInner: true)
{
    /// <inheritdoc/>
    public override string Name => "faulty";

    /// <inheritdoc/>
    public override void PoolingForward(PoolingGeometry geometry, Tensor x, Tensor y) =>
        throw new NotSupportedException("pooling kernel not compiled for this device");
}
