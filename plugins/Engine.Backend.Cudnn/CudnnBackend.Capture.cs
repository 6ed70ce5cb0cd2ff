using Engine.Backend.Cudnn.Kernels;

namespace Engine.Backend.Cudnn;

/// <summary>
/// CUDA graphs (<see cref="IStepCapture"/>): the shim captures the one stream in thread-local mode;
/// blocks freed while capturing stay with the graph (<see cref="DeviceAllocator.BeginHold"/>); the
/// ops with per-step values read them through <see cref="StepValues"/>.
/// </summary>
public sealed partial class CudnnBackend : IStepCapture
{
    private CapturedGraph? _step; // the graph being captured or updated on this backend, else null

    /// <inheritdoc/>
    public unsafe void BeginCapture()
    {
        ThrowIfDisposed();
        if (_step is not null)
        {
            throw new BackendException("cudnn: a step capture or update pass is already open on this backend");
        }
        // The kernels reading per-step values from device memory are first used inside the capture,
        // where loading a kernel is refused: resolve them now.
        foreach (DataType type in (ReadOnlySpan<DataType>)[DataType.Float32, DataType.Float64])
        {
            foreach (string kernel in (ReadOnlySpan<string>)["sgd_dev", "adagrad_dev", "rmsprop_dev", "adam_dev", "radam_dev"])
            {
                _kernels.Resolve("optimizer", kernel, type);
            }
            _kernels.Resolve(MetricsModule, "accumulate_loss_dev", type);
        }
        var step = new CapturedGraph(this, _allocator);
        ShimLibrary.Check(ShimNative.ecud_capture_begin(), "starting a CUDA graph capture");
        _allocator.BeginHold();
        _step = step;
    }

    /// <inheritdoc/>
    public unsafe ICapturedStep EndCapture()
    {
        ThrowIfDisposed();
        if (_step is not { State: CapturedGraph.Phase.Capturing } step)
        {
            throw new BackendException("cudnn: EndCapture without BeginCapture");
        }
        _step = null;
        nint graph;
        int status = ShimNative.ecud_capture_end(&graph);
        List<(nint Pointer, long Rounded)> held = _allocator.EndHold();
        if (status != 0)
        {
            string reason = ShimLibrary.LastError();
            _allocator.ReleaseHeld(held);
            step.Dispose();
            throw new BackendException($"cudnn: the training step could not be captured as a CUDA graph: {reason}");
        }
        step.Captured(graph, held);
        return step;
    }

    internal void BeginUpdate(CapturedGraph step)
    {
        ThrowIfDisposed();
        if (_step is not null)
        {
            throw new BackendException("cudnn: a step capture or update pass is already open on this backend");
        }
        _step = step;
    }

    internal void EndUpdate(CapturedGraph step)
    {
        if (_step == step)
        {
            _step = null;
        }
    }

    /// <summary>True during an update pass: the op with per-step values sets them (<see cref="StepValues"/>) and queues nothing.</summary>
    private bool Updating => _step is { State: CapturedGraph.Phase.Updating };

    /// <summary>
    /// Null outside a capture or update pass (launch the by-value kernel); otherwise the device
    /// address of this call's values, for the kernel's <c>_dev</c> variant.
    /// </summary>
    private DevicePointer? StepValues(string call, params ReadOnlySpan<double> values) => _step?.Values(call, values);

    /// <summary>A random op while capturing: its seed is baked into the graph, which the update pass cannot refresh.</summary>
    private void SeedCaptured(string call) => _step?.NotReplayable($"{call} draws a new seed every step (dropout, random noise)");
}
