namespace Engine;

/// <summary>
/// Implemented by a backend that can record the work of a training step once and replay it (the
/// cuDNN backend: CUDA graphs), so that a step whose shapes do not change pays the launch overhead
/// of its kernels once. Optional: the trainer uses it when the backend has it.
/// </summary>
/// <remarks>
/// While a capture is open, work queued on the calling thread is recorded with its argument values,
/// not run; allocating device memory, freeing it, copying to or from the host and synchronising are
/// refused with a <see cref="BackendException"/>, and <see cref="EndCapture"/> then fails naming the
/// first refused call. Tensors a recorded step uses must keep their addresses while it is replayed:
/// the caller copies each batch into the same input tensors before a replay. The values that change
/// from step to step (the learning rate, an optimiser's step count, the step number the training
/// statistics record) are read by the recorded work from device memory, set by an update pass: see
/// <see cref="ICapturedStep.BeginUpdate"/>.
/// </remarks>
public interface IStepCapture
{
    /// <summary>Starts recording the work queued on the calling thread.</summary>
    void BeginCapture();

    /// <summary>
    /// Stops recording and returns the recorded step, not yet run (call <see cref="ICapturedStep.Replay"/>
    /// to run it). Throws <see cref="BackendException"/> naming the first call that could not be
    /// recorded; the capture is over either way.
    /// </summary>
    ICapturedStep EndCapture();
}

/// <summary>A step recorded by <see cref="IStepCapture"/>: replayed with this step's values by an update pass.</summary>
public interface ICapturedStep : IDisposable
{
    /// <summary>
    /// False when the step recorded a per-step value the update pass cannot refresh (a dropout
    /// mask's seed, drawn in the forward pass): it may be replayed once, for the step it recorded.
    /// </summary>
    bool Replayable { get; }

    /// <summary>
    /// Starts the update pass: until <see cref="Replay"/>, the calls that carry per-step values
    /// (<see cref="IBackend.OptimizerUpdate"/>, <see cref="IBackend.AccumulateLoss"/>) queue nothing
    /// and set the values the recorded work reads, in the order they were recorded, and
    /// <see cref="IBackend.AccumulateTopK"/> queues nothing.
    /// </summary>
    void BeginUpdate();

    /// <summary>Runs the recorded work with the values of the last update pass (the captured ones without one).</summary>
    void Replay();
}
