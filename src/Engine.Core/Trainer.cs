using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>Settings of a training run.</summary>
/// <param name="Epochs">Passes over the training set (a resumed run counts the epochs before the checkpoint).</param>
/// <param name="BatchSize">Examples per step; the last batch of an epoch may be smaller.</param>
/// <param name="Seed">Seed of the shuffling order (the model has its own).</param>
/// <param name="EvaluationBatchSize">Batch size for evaluation.</param>
/// <param name="Regularizer">
/// Weight penalties (none when null): added to the reported loss, and their gradients to the
/// parameters' gradients after backward, before the optimiser step. The caller owns and disposes it.
/// </param>
public sealed record TrainingOptions(int Epochs = 1, int BatchSize = 64, ulong Seed = 1, int EvaluationBatchSize = 256, Regularizer? Regularizer = null)
{
    /// <summary>The learning rate per step, set on the optimiser before every step (null: the optimiser's rate when the trainer was made).</summary>
    public ILearningRateSchedule? Schedule { get; init; }

    /// <summary>Gradient clipping after regularisation, before the step (none when null). The caller owns and disposes it.</summary>
    public GradientClipping? Clipping { get; init; }

    /// <summary>Early stopping on a validation metric (none when null).</summary>
    public EarlyStoppingOptions? EarlyStopping { get; init; }

    /// <summary>File rewritten (atomically) after every epoch with everything needed to resume (none when null).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>File rewritten after every epoch that improves <see cref="BestMetric"/> (none when null).</summary>
    public string? BestCheckpointPath { get; init; }

    /// <summary>The metric that decides the best checkpoint (see <see cref="MonitoredMetric"/>).</summary>
    public string BestMetric { get; init; } = "val_loss";

    /// <summary>Steps between progress reports (each epoch's last step is always reported).</summary>
    public int ProgressInterval { get; init; } = 50;

    /// <summary>Batches read ahead by the loading thread.</summary>
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>Written into checkpoints as they are: model name, model spec JSON, data set, … (the trainer adds its own options and the history).</summary>
    public JsonObject? Metadata { get; init; }
}

/// <summary>The data of a run.</summary>
/// <param name="Train">Examples trained on.</param>
/// <param name="Validation">Evaluated after every epoch (loss, top-1, top-5); what early stopping watches.</param>
/// <param name="Test">Evaluated after every epoch for top-1 only; never used for decisions.</param>
public sealed record TrainingData(ImageDataset Train, ImageDataset? Validation = null, ImageDataset? Test = null);

/// <summary>What one epoch measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's examples (penalties included), as the weights moved.</param>
/// <param name="TrainAccuracy">Top-1 accuracy on the training batches, as they were seen.</param>
/// <param name="TestAccuracy">Top-1 accuracy on the test set after the epoch (NaN without one).</param>
/// <param name="TrainTime">Time spent training (loading, forward, backward, update).</param>
/// <param name="Elapsed">Time since training started, evaluation included.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, TimeSpan TrainTime, TimeSpan Elapsed, double ImagesPerSecond)
{
    /// <summary>Mean loss on the validation set after the epoch (NaN without one).</summary>
    public double ValidationLoss { get; init; } = double.NaN;

    /// <summary>Top-1 accuracy on the validation set (NaN without one).</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;

    /// <summary>Top-5 accuracy on the validation set (NaN without one).</summary>
    public double ValidationTop5 { get; init; } = double.NaN;

    /// <summary>The learning rate of the epoch's last step.</summary>
    public double LearningRate { get; init; } = double.NaN;

    /// <summary>Steps taken since the run began, at the end of the epoch.</summary>
    public long GlobalStep { get; init; }
}

/// <summary>
/// The mini-batch loop: shuffle → load batch (read ahead on another thread) → forward → loss →
/// backward → regularisation → clipping → update, with the rate of an <see cref="ILearningRateSchedule"/>.
/// After each epoch: validation and test evaluation, early stopping, checkpoints. A non-finite
/// loss stops the run with <see cref="TrainingDivergedException"/> before that step's update. A
/// steady-state step allocates nothing: the step's loss and the logits are copied into host
/// arrays made once. <see cref="Resume"/> restores a checkpoint so that the run continues exactly
/// as if it had not stopped (same order, rates, dropout masks, optimiser moments).
/// </summary>
public sealed class Trainer
{
    private const string StatePrefix = "trainer/";
    private const string EarlyStoppingPrefix = "early_stopping/";
    private readonly Network _network;
    private readonly ILoss _loss;
    private readonly IOptimizer _optimizer;
    private readonly TrainingOptions _options;
    private readonly ILearningRateSchedule _schedule;
    private readonly EarlyStopping? _earlyStopping;
    private readonly TensorSlot _stepLoss = new();
    private readonly float[] _hostFloat = new float[1];
    private readonly double[] _hostDouble = new double[1];
    private double _bestMetric = double.NaN;
    private string? _lastCheckpoint;

    /// <summary>Prepares to train <paramref name="network"/>; bad options are a <see cref="ConfigurationException"/> naming the option.</summary>
    public Trainer(Network network, ILoss loss, IOptimizer optimizer, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        Positive(options.Epochs, "epochs", allowZero: true);
        Positive(options.BatchSize, "batch size");
        Positive(options.EvaluationBatchSize, "evaluation batch size");
        Positive(options.ProgressInterval, "progress interval");
        Positive(options.PrefetchBatches, "prefetch batches");
        MonitoredMetric.Check(options.BestMetric, "best checkpoint");
        _network = network;
        _loss = loss;
        _optimizer = optimizer;
        _options = options;
        _schedule = options.Schedule ?? new ConstantSchedule(optimizer.LearningRate);
        _earlyStopping = options.EarlyStopping is { } early ? new EarlyStopping(early) : null;
    }

    /// <summary>Called every <see cref="TrainingOptions.ProgressInterval"/> steps and at the end of each epoch.</summary>
    public IProgress<StepReport>? Progress { get; set; }

    /// <summary>Called after each epoch, once its checkpoint is written.</summary>
    public Action<EpochResult>? EpochCompleted { get; set; }

    /// <summary>Epochs completed (including those restored by <see cref="Resume"/>).</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Optimiser steps taken (including those restored by <see cref="Resume"/>).</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Every epoch's metrics so far.</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>The early-stopping tracker (null when not configured).</summary>
    public EarlyStopping? EarlyStopping => _earlyStopping;

    /// <summary>The schedule in use.</summary>
    public ILearningRateSchedule Schedule => _schedule;

    /// <summary>
    /// Trains for <see cref="TrainingOptions.Epochs"/> epochs, calling <paramref name="onEpoch"/>
    /// after each; returns the epochs run by this call.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(ImageDataset train, ImageDataset? test = null, Action<EpochResult>? onEpoch = null, CancellationToken cancellation = default)
    {
        int before = History.Count;
        Action<EpochResult>? previous = EpochCompleted;
        EpochCompleted = onEpoch is null ? previous : previous + onEpoch;
        try
        {
            return Fit(new TrainingData(train, Test: test), cancellation).Skip(before).ToList();
        }
        finally
        {
            EpochCompleted = previous;
        }
    }

    /// <summary>
    /// Trains from epoch <see cref="CompletedEpochs"/> + 1 to <see cref="TrainingOptions.Epochs"/>
    /// (or until early stopping) and returns the whole history.
    /// </summary>
    public TrainingHistory Fit(TrainingData data, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data.Train, "training");
        CheckData(data.Validation, "validation");
        CheckData(data.Test, "test");
        if (History.StoppedEarly)
        {
            return History;
        }
        RunCapabilities.Check(_network, _loss, _optimizer, _options.Regularizer, _options.Clipping); // before the first step: refuses what the backend lacks
        ImageDataset train = data.Train;
        int batchSize = _options.BatchSize;
        int stepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        var order = new int[train.Count];
        var logits = new float[checked(batchSize * train.ClassCount)];
        using var loader = new BackgroundBatchLoader(_network.Backend, train, batchSize, _options.PrefetchBatches);
        using Evaluator? validation = Evaluator(data.Validation);
        using Evaluator? test = Evaluator(data.Test);
        long runStart = Stopwatch.GetTimestamp();
        long stepsAtStart = GlobalStep;
        long stepsInRun = (long)(_options.Epochs - CompletedEpochs) * stepsPerEpoch;
        TimeSpan elapsedBefore = History.Count > 0 ? History[^1].Elapsed : TimeSpan.Zero;

        for (int epoch = CompletedEpochs + 1; epoch <= _options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            long epochStart = Stopwatch.GetTimestamp();
            (train as IEpochAwareDataset)?.BeginEpoch(epoch);
            EpochOrder.Shuffle(order, _options.Seed, epoch);
            loader.Start(order, order.Length, batchSize);
            double lossSum = 0, rate = double.NaN;
            long correct = 0, seen = 0;
            for (int step = 1; step <= stepsPerEpoch; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                rate = _schedule.RateAt(GlobalStep, stepsPerEpoch);
                _optimizer.LearningRate = rate;
                var (inputs, targets) = loader.Next();
                int n = loader.Labels.Length;
                Tensor output = _network.Forward(inputs, training: true);
                LossOutput l = _loss.Compute(output, targets);
                _network.Backward(l.Gradient);
                double stepLoss = StepLoss(l.Value); // penalty of the weights the loss was computed with
                if (!double.IsFinite(stepLoss))
                {
                    throw new TrainingDivergedException(epoch, step, GlobalStep + 1, stepLoss, rate, _lastCheckpoint);
                }
                _options.Regularizer?.AddGradients(_network.Parameters);
                _options.Clipping?.Apply(_network.Parameters);
                _optimizer.Step(_network.Parameters);
                GlobalStep++;

                Span<float> batchLogits = logits.AsSpan(0, (int)output.ElementCount);
                _network.Backend.CopyToHost(output, batchLogits);
                correct += Metrics.CountCorrect(batchLogits, loader.Labels);
                lossSum += stepLoss * n;
                seen += n;
                if (Progress is { } progress && (step % _options.ProgressInterval == 0 || step == stepsPerEpoch))
                {
                    TimeSpan sinceStart = Stopwatch.GetElapsedTime(runStart);
                    long done = GlobalStep - stepsAtStart;
                    progress.Report(new StepReport(epoch, _options.Epochs, step, stepsPerEpoch, GlobalStep, lossSum / seen, (double)correct / seen,
                        seen / Stopwatch.GetElapsedTime(epochStart).TotalSeconds, rate, elapsedBefore + sinceStart,
                        sinceStart * ((double)(stepsInRun - done) / done)));
                }
            }
            TimeSpan trainTime = Stopwatch.GetElapsedTime(epochStart);
            EvaluationResult? v = validation?.Run(cancellation);
            EvaluationResult? t = test?.Run(cancellation);
            var result = new EpochResult(epoch, lossSum / train.Count, (double)correct / train.Count, t?.Top1 ?? double.NaN,
                trainTime, elapsedBefore + Stopwatch.GetElapsedTime(runStart), train.Count / trainTime.TotalSeconds)
            {
                ValidationLoss = v?.Loss ?? double.NaN,
                ValidationAccuracy = v?.Top1 ?? double.NaN,
                ValidationTop5 = v?.Top5 ?? double.NaN,
                LearningRate = rate,
                GlobalStep = GlobalStep,
            };
            History.Add(result);
            CompletedEpochs = epoch;
            bool stop = EndOfEpoch(result);
            EpochCompleted?.Invoke(result);
            if (stop)
            {
                break;
            }
        }
        if (_earlyStopping is { Options.RestoreBestWeights: true } early && !History.StoppedEarly && early.BestEpoch != CompletedEpochs && early.RestoreBest(_network))
        {
            WriteCheckpoint(); // the run ended at its last epoch, not by stopping: the file holds the best weights too
        }
        return History;
    }

    /// <summary>
    /// Top-1, top-5, confusion matrix and (given <paramref name="loss"/>) mean loss of
    /// <paramref name="network"/> on <paramref name="data"/>, in inference mode.
    /// </summary>
    public static EvaluationResult Evaluate(Network network, ImageDataset data, int batchSize = 256, ILoss? loss = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        using var evaluator = new Evaluator(network, data, batchSize, loss, prefetch: 2);
        return evaluator.Run();
    }

    /// <summary>
    /// Everything needed to resume: parameters, layer and optimiser state, step, epoch, seed,
    /// early-stopping state, and metadata (the options' metadata, the trainer's settings, the history).
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        var state = new StateDictionary();
        ModelState.Save(_network, state);
        ModelState.SaveOptimizer(_optimizer, state);
        state.SetInt64(StatePrefix + "global_step", GlobalStep);
        state.SetInt64(StatePrefix + "epoch", CompletedEpochs);
        state.SetInt64(StatePrefix + "seed", unchecked((long)_options.Seed));
        state.SetDouble(StatePrefix + "best_metric", _bestMetric);
        _earlyStopping?.SaveState(state, EarlyStoppingPrefix);

        var metadata = (JsonObject?)_options.Metadata?.DeepClone() ?? [];
        metadata["model"] ??= _network.Name;
        metadata["trainer"] = new JsonObject
        {
            ["epochs"] = _options.Epochs,
            ["batch_size"] = _options.BatchSize,
            ["seed"] = _options.Seed,
            ["evaluation_batch_size"] = _options.EvaluationBatchSize,
            ["optimizer"] = _optimizer.Name,
            ["loss"] = _loss.Name,
            ["schedule"] = _schedule.Description,
            ["clipping"] = _options.Clipping?.Description,
            ["early_stopping"] = _options.EarlyStopping is { } e ? new JsonObject
            {
                ["monitor"] = e.Monitor,
                ["patience"] = e.Patience,
                ["min_delta"] = e.MinDelta,
                ["restore_best_weights"] = e.RestoreBestWeights,
            } : null,
            ["completed_epochs"] = CompletedEpochs,
            ["global_step"] = GlobalStep,
            ["stopped_early"] = History.StoppedEarly,
        };
        metadata["history"] = History.ToJson();
        return new Checkpoint(state, metadata);
    }

    /// <summary>
    /// Restores a checkpoint written by this trainer's configuration: the network's parameters and
    /// layer state, the optimiser's state, the step and epoch counters, early stopping and the
    /// history. The next <see cref="Fit(TrainingData, CancellationToken)"/> continues with the
    /// following epoch. A checkpoint of another shuffle seed, or one that does not fit the network,
    /// is an error naming the file.
    /// </summary>
    public void Resume(string path)
    {
        Checkpoint checkpoint = Checkpoint.Read(path);
        StateDictionary state = checkpoint.State;
        ModelState.Guard(path, "the trainer's counters", () =>
        {
            ulong seed = unchecked((ulong)state.GetInt64(StatePrefix + "seed"));
            if (seed != _options.Seed)
            {
                throw new ConfigurationException($"the checkpoint was trained with shuffle seed {seed} but this run uses {_options.Seed}; resume with the same seed");
            }
            GlobalStep = state.GetInt64(StatePrefix + "global_step");
            CompletedEpochs = checked((int)state.GetInt64(StatePrefix + "epoch"));
            _bestMetric = state.GetDouble(StatePrefix + "best_metric");
        });
        ModelState.Load(_network, state, path);
        ModelState.LoadOptimizer(_optimizer, state, path);
        if (_earlyStopping is not null && state.Contains(EarlyStoppingPrefix + "best_value"))
        {
            ModelState.Guard(path, "early stopping", () => _earlyStopping.LoadState(state, EarlyStoppingPrefix));
        }
        History = checkpoint.Metadata["history"] is JsonArray history ? TrainingHistory.FromJson(history) : new TrainingHistory();
        History.StoppedEarly = checkpoint.Metadata["trainer"]?["stopped_early"]?.GetValue<bool>() ?? false;
        _lastCheckpoint = Path.GetFullPath(path);
    }

    // Early stopping, best and last checkpoints; true when training should stop.
    private bool EndOfEpoch(EpochResult result)
    {
        bool stop = false;
        if (_earlyStopping is { } early)
        {
            stop = early.Update(result.Epoch, MonitoredMetric.Of(result, early.Options.Monitor), _network);
            if (stop)
            {
                History.StoppedEarly = true;
                if (early.Options.RestoreBestWeights)
                {
                    early.RestoreBest(_network);
                }
            }
        }
        double metric = MonitoredMetric.Of(result, _options.BestMetric);
        if (_options.BestCheckpointPath is { } best && MonitoredMetric.Improves(_options.BestMetric, metric,
            double.IsNaN(_bestMetric) ? (MonitoredMetric.LowerIsBetter(_options.BestMetric) ? double.PositiveInfinity : double.NegativeInfinity) : _bestMetric))
        {
            _bestMetric = metric;
            CreateCheckpoint().Write(best);
        }
        WriteCheckpoint();
        return stop;
    }

    private void WriteCheckpoint()
    {
        if (_options.CheckpointPath is { } path)
        {
            CreateCheckpoint().Write(path);
            _lastCheckpoint = Path.GetFullPath(path);
        }
    }

    // The step's loss on the host, penalties included; one scalar copy per step.
    private double StepLoss(Tensor value)
    {
        Tensor scalar = value;
        if (_options.Regularizer is { } regularizer)
        {
            scalar = _stepLoss.Scalar(value.Backend, value.DataType);
            value.Backend.Copy(value, scalar);
            regularizer.AddPenalty(_network.Parameters, scalar);
        }
        if (scalar.DataType == DataType.Float64)
        {
            scalar.Backend.CopyToHost<double>(scalar, _hostDouble);
            return _hostDouble[0];
        }
        scalar.Backend.CopyToHost<float>(scalar, _hostFloat);
        return _hostFloat[0];
    }

    private Evaluator? Evaluator(ImageDataset? data) =>
        data is null ? null : new Evaluator(_network, data, _options.EvaluationBatchSize, _loss, _options.PrefetchBatches);

    private void CheckData(ImageDataset? data, string role)
    {
        if (data is null)
        {
            return;
        }
        if (data.SampleShape != _network.InputShape)
        {
            throw new ShapeException($"model '{_network.Name}' takes samples of {_network.InputShape} but the {role} data has {data.SampleShape}");
        }
        if (_network.OutputShape.ElementCount != data.ClassCount)
        {
            throw new ShapeException($"model '{_network.Name}' outputs {_network.OutputShape.ElementCount} values per example but the {role} data has {data.ClassCount} classes");
        }
        if (role == "training" && data.Count == 0)
        {
            throw new ConfigurationException("the training data has no examples");
        }
    }

    private static void Positive(int value, string option, bool allowZero = false)
    {
        if (value < 0 || (value == 0 && !allowZero))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"training option '{option}' must be {(allowZero ? "zero or more" : "positive")}, got {value}"));
        }
    }
}
