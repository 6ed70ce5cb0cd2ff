namespace Engine.Core;

/// <summary>
/// The trainer's use of <see cref="IStepCapture"/> (CUDA graphs on the GPU): after
/// <see cref="WarmupSteps"/> eager steps at a batch size (the first allocates what the step needs,
/// the next shows it allocates nothing more), one whole step (forward, loss, backward, statistics,
/// penalties, clipping, optimiser) is captured and run; later full batches of that size are copied
/// into the same input tensors and replayed, after an update pass that re-runs only the host code
/// of the per-step values (the statistics' step number, the optimiser's learning rate and step
/// counts). A batch of another size (the last, partial one) runs eagerly and drops the graph: its
/// activations may move; so does the end of an epoch (evaluation reuses the buffers). A step that
/// draws random numbers (dropout) cannot be replayed with new seeds: it runs once and the run goes on
/// eagerly.
/// </summary>
public sealed class StepGraph : IDisposable
{
    /// <summary>Eager steps at a batch size before it is captured.</summary>
    public const int WarmupSteps = 2;

    private readonly IBackend _backend;
    private readonly IStepCapture _capture;
    private ICapturedStep? _step;
    private Tensor? _inputs, _labels; // what the graph reads: each batch is copied here
    private Tensor? _loss, _output;   // the captured step's tensors, for the update pass
    private int _batch = -1, _warm;

    private StepGraph(IBackend backend, IStepCapture capture)
    {
        _backend = backend;
        _capture = capture;
    }

    /// <summary>Steps captured so far (one per batch size change and epoch).</summary>
    public int Captures { get; private set; }

    /// <summary>Steps replayed from a graph.</summary>
    public long Replays { get; private set; }

    /// <summary>Why graphs were turned off for the rest of the run (null while they are on).</summary>
    public string? OffBecause { get; private set; }

    /// <summary>
    /// A graph runner for steps queued through <paramref name="backend"/> (a decorator of the
    /// capturing backend, or that backend itself) when the run can use one: <paramref name="capture"/>
    /// is given (null: graphs off) and the optimiser's step is one update call per parameter.
    /// </summary>
    public static StepGraph? Create(IBackend backend, IStepCapture? capture, IOptimizer optimizer) =>
        capture is not null && optimizer is FusedOptimizer ? new StepGraph(backend, capture) : null;

    /// <summary>
    /// One step of <paramref name="inputs"/>: replayed, captured, or run by <paramref name="body"/>
    /// eagerly. <paramref name="body"/> runs the whole step on the tensors it is given and returns
    /// the loss and output it passed to the statistics; <paramref name="update"/> re-runs the calls
    /// with per-step values on those tensors (the statistics, then the optimiser step).
    /// </summary>
    public void Run(Tensor inputs, Tensor labels, bool fullBatch, Func<Tensor, Tensor, (Tensor Loss, Tensor Output)> body,
        Action<Tensor, Tensor, Tensor> update)
    {
        int n = inputs.Shape[0];
        if (OffBecause is not null || !fullBatch)
        {
            if (!fullBatch)
            {
                Drop();
            }
            body(inputs, labels);
            return;
        }
        if (n != _batch)
        {
            Drop();
            _batch = n;
            // Before the warm-up: its steps then leave the cache holding every block the captured step needs.
            if (_inputs is null || _inputs.Shape != inputs.Shape || _labels!.Shape != labels.Shape)
            {
                _inputs?.Dispose();
                _labels?.Dispose();
                _inputs = _backend.Allocate(inputs.Shape, inputs.DataType);
                _labels = _backend.Allocate(labels.Shape, labels.DataType);
            }
        }
        if (_step is not null)
        {
            _backend.Copy(inputs, _inputs!);
            _backend.Copy(labels, _labels!);
            _step.BeginUpdate();
            update(_loss!, _output!, _labels!);
            _step.Replay();
            Replays++;
            return;
        }
        if (_warm < WarmupSteps)
        {
            _warm++;
            body(inputs, labels);
            return;
        }
        Capture(inputs, labels, body);
    }

    /// <summary>Drops the graph at the end of an epoch: evaluation may move the activations it uses.</summary>
    public void EndEpoch() => Drop();

    private void Capture(Tensor inputs, Tensor labels, Func<Tensor, Tensor, (Tensor Loss, Tensor Output)> body)
    {
        _backend.Copy(inputs, _inputs!);
        _backend.Copy(labels, _labels!);
        _capture.BeginCapture();
        (Tensor Loss, Tensor Output) captured;
        ICapturedStep step;
        try
        {
            captured = body(_inputs!, _labels!);
        }
        catch (BackendException e)
        {
            EndFailedCapture();
            throw Refused(e);
        }
        catch
        {
            EndFailedCapture();
            throw;
        }
        try
        {
            step = _capture.EndCapture();
        }
        catch (BackendException e)
        {
            throw Refused(e);
        }
        Captures++;
        step.Replay(); // runs the captured step itself
        if (!step.Replayable)
        {
            step.Dispose();
            OffBecause = "the step draws random numbers (dropout): replays would repeat its seeds";
            return;
        }
        _step = step;
        (_loss, _output) = captured;
    }

    private static BackendException Refused(BackendException e) =>
        new($"the training step could not be captured as a CUDA graph; turn graphs off (--no-cuda-graphs) to train eagerly: {e.Message}", e);

    private void EndFailedCapture()
    {
        try
        {
            _capture.EndCapture().Dispose();
        }
        catch (BackendException)
        {
            // The capture was invalidated by the failure being reported.
        }
    }

    private void Drop()
    {
        _step?.Dispose();
        _step = null;
        _loss = _output = null;
        _warm = 0;
        _batch = -1;
    }

    /// <summary>Destroys the graph and the input copies.</summary>
    public void Dispose()
    {
        Drop();
        _inputs?.Dispose();
        _labels?.Dispose();
        _inputs = _labels = null;
    }
}
