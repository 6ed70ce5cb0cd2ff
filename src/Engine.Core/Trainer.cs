using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core.Distributed;

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

    /// <summary>Dynamic loss scaling (fp16 mixed precision): a step whose gradients overflow is skipped; null: none.</summary>
    public LossScaler? LossScaling { get; init; }

    /// <summary>Early stopping on a validation metric (none when null).</summary>
    public EarlyStoppingOptions? EarlyStopping { get; init; }

    /// <summary>File rewritten (atomically) after every epoch with everything needed to resume (none when null).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>File rewritten after every epoch that improves <see cref="BestMetric"/> (none when null).</summary>
    public string? BestCheckpointPath { get; init; }

    /// <summary>Whether the checkpoints may replace an existing file that is not a checkpoint (refused by default).</summary>
    public bool ReplaceForeignCheckpoint { get; init; }

    /// <summary>The metric that decides the best checkpoint (see <see cref="MonitoredMetric"/>).</summary>
    public string BestMetric { get; init; } = "val_loss";

    /// <summary>
    /// Steps between progress reports (each epoch's last step is always reported). A report reads the
    /// run's statistics from the backend, which waits for its queued work; no other step reads.
    /// </summary>
    public int ProgressInterval { get; init; } = 50;

    /// <summary>
    /// Least time between two progress reports within an epoch (zero: every
    /// <see cref="ProgressInterval"/>-th step reports), so that a fast model does not drain the
    /// device's queue many times a second for a progress bar.
    /// </summary>
    public TimeSpan ProgressMinInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Batches read ahead by the loading thread.</summary>
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>Written into checkpoints as they are: model name, model spec JSON, data set, … (the trainer adds its own options and the history).</summary>
    public JsonObject? Metadata { get; init; }

    /// <summary>Data-parallel training over several processes (none when null): see <see cref="DistributedOptions"/>.</summary>
    public DistributedOptions? Distributed { get; init; }

    /// <summary>
    /// Split-invariant gradient reduction (0: off). With K shards (a power of two dividing
    /// <see cref="BatchSize"/>), each global batch is cut into K fixed shards of B/K examples, each
    /// shard runs its own forward and backward pass, and the parameter gradients are the shards'
    /// gradients weighted by 1/B and added in a fixed binary tree over the shard index. One process
    /// and any power-of-two rank count up to K (<see cref="Distributed"/>) then compute the same bits,
    /// so the trained weights do not depend on the rank count, and a checkpoint resumes on any. Layers
    /// that normalise over the batch see one shard at a time (ghost batch norm).
    /// </summary>
    public int ReductionShards { get; init; }

    /// <summary>
    /// Whether a backend that can record a step (<see cref="IStepCapture"/>: the GPU's CUDA graphs)
    /// captures one whole step after warm-up and replays it while the batch shape holds (on by
    /// default; one process, fused optimisers only; the results are the same bit for bit). Other
    /// backends ignore it.
    /// </summary>
    public bool CudaGraphs { get; init; } = true;
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
/// After each epoch: validation and test evaluation, early stopping, checkpoints. A step makes no
/// host read: labels go to the backend as class indices, the loss sum, top-1 count and first
/// non-finite step accumulate there (<see cref="TrainingStatistics"/>), clipping decides there, and
/// the host reads the statistics only to report progress (see <see cref="TrainingOptions.ProgressInterval"/>
/// and <see cref="TrainingOptions.ProgressMinInterval"/>) and at the end of each epoch. When a read
/// shows a non-finite loss the run stops with <see cref="TrainingDivergedException"/> naming the
/// first step whose loss was not finite; the epoch-end read comes before evaluation and checkpoints,
/// so no checkpoint is ever written from a non-finite state. A steady-state step allocates nothing.
/// <see cref="Resume"/> restores a checkpoint so that the run continues exactly as if it had not
/// stopped (same order, rates, dropout masks, optimiser moments).
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
    private readonly TensorBuffer _stepLoss = new();
    private readonly TensorBuffer[] _auxiliaryBuffers;
    private readonly Tensor[] _auxiliaryGradients;
    private double _bestMetric = double.NaN;
    private TimeSpan _communicationWait;
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
        if (options.ProgressMinInterval < TimeSpan.Zero)
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"training option 'progress min interval' must be zero or more, got {options.ProgressMinInterval}"));
        }
        Positive(options.PrefetchBatches, "prefetch batches");
        MonitoredMetric.Check(options.BestMetric, "best checkpoint");
        if (options.Distributed is { Communicator: var group } && options.BatchSize % group.Size != 0)
        {
            throw new DistributedMismatchException(string.Create(CultureInfo.InvariantCulture,
                $"the global batch size {options.BatchSize} does not split evenly across {group.Size} ranks; give a batch size divisible by {group.Size}"));
        }
        if (options.ReductionShards != 0)
        {
            ShardTree.Check(options.ReductionShards, options.Distributed?.Communicator.Size ?? 1);
            if (options.BatchSize % options.ReductionShards != 0)
            {
                throw new DistributedMismatchException(string.Create(CultureInfo.InvariantCulture,
                    $"the batch size {options.BatchSize} does not split into {options.ReductionShards} reduction shards; give a batch size divisible by {options.ReductionShards}"));
            }
        }
        _network = network;
        _auxiliaryBuffers = network.AuxiliaryOutputs.Select(_ => new TensorBuffer()).ToArray();
        _auxiliaryGradients = new Tensor[_auxiliaryBuffers.Length];
        _loss = loss;
        _optimizer = optimizer;
        _options = options;
        _schedule = options.Schedule ?? new ConstantSchedule(optimizer.LearningRate);
        _earlyStopping = options.EarlyStopping is { } early ? new EarlyStopping(early) : null;
    }

    /// <summary>
    /// Called every <see cref="TrainingOptions.ProgressInterval"/> steps, at most once per
    /// <see cref="TrainingOptions.ProgressMinInterval"/>, and at the end of each epoch. Each report
    /// is a host read of the run's statistics: leave it null to read only at epoch ends.
    /// </summary>
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
        SizeLimits.CheckBatch(_network, batchSize, "batch size", training: true); // before the staging buffers are sized by it
        int stepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        var order = new int[train.Count];
        ICommunicator? group = _options.Distributed?.Communicator;
        int shards = _options.ReductionShards;
        int[] local = group is null && shards == 0 ? order : new int[train.Count];
        using var statistics = new TrainingStatistics(_network.Backend);
        var cadence = new ReportCadence(_options.ProgressInterval, _options.ProgressMinInterval);
        using var loader = new BackgroundBatchLoader(_network.Backend, train, batchSize / (shards != 0 ? shards : group?.Size ?? 1), _options.PrefetchBatches);
        using IGradientReducer? reducer = _options.Distributed is { } distributed && shards == 0 ? IGradientReducer.For(_network, distributed) : null;
        ShardedGradients? sharded = shards == 0 ? null : new ShardedGradients(_network, shards, group);
        if (group is not null)
        {
            AgreeOnConfiguration(data, group);
        }
        BatchStatisticsSum? batchStatistics = SynchronizedBatchStatistics(train, group);
        _network.LayerBackwardDone = reducer is null ? null : reducer.LayerDone;
        try
        {
            FitEpochs(data, cancellation, stepsPerEpoch, order, local, statistics, cadence, loader, reducer, sharded, batchStatistics);
        }
        finally
        {
            _network.LayerBackwardDone = null;
            foreach (IBatchStatisticsLayer layer in _network.Layers.OfType<IBatchStatisticsLayer>())
            {
                layer.CrossReplicaSum = null;
            }
        }
        return History;
    }

    /// <summary>Time this rank waited for gradient sums since the last call (zero when not distributed).</summary>
    public TimeSpan TakeCommunicationTime()
    {
        TimeSpan time = _communicationWait;
        _communicationWait = TimeSpan.Zero;
        return time;
    }

    private void FitEpochs(TrainingData data, CancellationToken cancellation, int stepsPerEpoch, int[] order, int[] local,
        TrainingStatistics statistics, ReportCadence cadence, BackgroundBatchLoader loader, IGradientReducer? reducer, ShardedGradients? sharded,
        BatchStatisticsSum? batchStatistics)
    {
        Action<int>? bucketStarts = _network.LayerBackwardDone;
        ImageDataset train = data.Train;
        int batchSize = _options.BatchSize;
        ICommunicator? group = _options.Distributed?.Communicator;
        using Evaluator? validation = Evaluator(data.Validation);
        using Evaluator? test = Evaluator(data.Test);
        long runStart = Stopwatch.GetTimestamp();
        long stepsAtStart = GlobalStep;
        long stepsInRun = (long)(_options.Epochs - CompletedEpochs) * stepsPerEpoch;
        TimeSpan elapsedBefore = History.Count > 0 ? History[^1].Elapsed : TimeSpan.Zero;
        using StepGraph? graph = StepGraph.Create(_network.Backend,
            _options.CudaGraphs && group is null && sharded is null && _options.LossScaling is null ? _network.Backend as IStepCapture : null, _optimizer);

        for (int epoch = CompletedEpochs + 1; epoch <= _options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            long epochStart = Stopwatch.GetTimestamp();
            (train as IEpochAwareDataset)?.BeginEpoch(epoch);
            EpochOrder.Shuffle(order, _options.Seed, epoch);
            if (sharded is not null)
            {
                int[] bounds = new int[(stepsPerEpoch * _options.ReductionShards) + 1];
                loader.Start(local, bounds, BatchShard.LocalShards(order, batchSize, _options.ReductionShards, group?.Rank ?? 0, group?.Size ?? 1, local, bounds));
            }
            else if (group is null)
            {
                loader.Start(order, order.Length, batchSize);
            }
            else
            {
                loader.Start(local, BatchShard.Local(order, batchSize, group.Rank, group.Size, local), batchSize / group.Size);
            }
            statistics.Reset();
            long epochStartStep = GlobalStep;
            TrainingTotals totals = default;
            double rate = double.NaN;
            long seen = 0;
            for (int step = 1; step <= stepsPerEpoch; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                rate = _schedule.RateAt(GlobalStep, stepsPerEpoch);
                _optimizer.LearningRate = rate;
                int inStep = Math.Min(batchSize, train.Count - ((step - 1) * batchSize));
                if (sharded is not null)
                {
                    TrainShards(sharded, loader, statistics, inStep);
                }
                int mine = group is null || sharded is not null ? inStep : BatchShard.Slice(inStep, group.Rank, group.Size).Count;
                // Each rank's mean-loss gradient weighs its share of the global batch, so that the
                // sum over the ranks is the one-process gradient of the global batch's mean loss.
                reducer?.Begin((double)mine / inStep, hasExamples: mine > 0);
                if (batchStatistics is not null)
                {
                    // A rank without examples stands in for the batch-norm sums after the others'
                    // backward: on such a step no bucket may start during backward, or the ranks'
                    // collectives would come in different orders.
                    batchStatistics.BeginStep();
                    _network.LayerBackwardDone = inStep < group!.Size ? null : bucketStarts;
                    if (mine == 0)
                    {
                        batchStatistics.StandIn();
                    }
                }
                if (graph is not null)
                {
                    var (inputs, labels) = loader.Next();
                    long number = GlobalStep + 1;
                    graph.Run(inputs, labels, fullBatch: inStep == batchSize, (x, y) => WholeStep(x, y, statistics, number),
                        (loss, output, y) =>
                        {
                            statistics.Add(loss, output, y, number);
                            _optimizer.Step(_network.Parameters);
                        });
                }
                else
                {
                    if (mine > 0 && sharded is null)
                    {
                        var (inputs, labels) = loader.Next();
                        ForwardBackward(inputs, labels, statistics, GlobalStep + 1);
                    }
                    if (reducer is not null)
                    {
                        reducer.Finish();
                        _communicationWait += reducer.TakeWaitTime();
                    }
                    ApplyGradients();
                }
                if (batchStatistics is not null && inStep < group!.Size)
                {
                    BatchStatisticsSum.ShareRankZeroState(group, _network.Layers);
                }
                GlobalStep++;
                seen += inStep;

                bool last = step == stepsPerEpoch;
                if (!(last ? cadence.Due(step, lastOfEpoch: true) : ReportDue(cadence, step)))
                {
                    continue;
                }
                // The one host read: it waits for the queued steps. Divergence is checked before
                // anything is reported, evaluated or written.
                totals = group is null ? statistics.Read() : SumOverRanks(statistics.Read(), group);
                ThrowIfDiverged(totals, epoch, epochStartStep, seen, stepsPerEpoch);
                if (Progress is { } progress)
                {
                    TimeSpan sinceStart = Stopwatch.GetElapsedTime(runStart);
                    long done = GlobalStep - stepsAtStart;
                    progress.Report(new StepReport(epoch, _options.Epochs, step, stepsPerEpoch, GlobalStep, totals.LossSum / seen, (double)totals.Correct / seen,
                        seen / Stopwatch.GetElapsedTime(epochStart).TotalSeconds, rate, elapsedBefore + sinceStart,
                        sinceStart * ((double)(stepsInRun - done) / done)));
                }
            }
            graph?.EndEpoch();
            double lossSum = totals.LossSum;
            long correct = totals.Correct;
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
    }

    // One step's shards of this rank (the global batch's shards r·K/R … (r+1)·K/R − 1), each its own
    // forward and backward pass of at most B/K examples, their gradients summed in the fixed tree.
    private void TrainShards(ShardedGradients sharded, BackgroundBatchLoader loader, TrainingStatistics statistics, int inStep)
    {
        int shards = _options.ReductionShards, ranks = _options.Distributed?.Communicator.Size ?? 1, rank = _options.Distributed?.Communicator.Rank ?? 0;
        for (int shard = rank * (shards / ranks); shard < (rank + 1) * (shards / ranks); shard++)
        {
            int count = BatchShard.Slice(inStep, shard, shards).Count;
            if (count == 0)
            {
                sharded.AddShard(0f); // a last batch smaller than K leaves shards empty
                continue;
            }
            var (inputs, labels) = loader.Next();
            ForwardBackward(inputs, labels, statistics, GlobalStep + 1);
            sharded.AddShard((float)((double)count / inStep));
        }
        sharded.Finish();
        _communicationWait += sharded.TakeWaitTime();
    }

    // Reads within an epoch: one process reads when someone watches progress, at most so often;
    // ranks read on the same steps (the read sums the statistics over them), every interval.
    private bool ReportDue(ReportCadence cadence, int step) => _options.Distributed is null
        ? Progress is not null && cadence.Due(step, lastOfEpoch: false)
        : step % _options.ProgressInterval == 0;

    // --sync-bn: every batch-statistics layer sums its statistics over the ranks for this run.
    private BatchStatisticsSum? SynchronizedBatchStatistics(ImageDataset train, ICommunicator? group)
    {
        if (group is null || _options.Distributed is not { SyncBatchNorm: true })
        {
            return null;
        }
        if (_options.ReductionShards != 0)
        {
            throw new ConfigurationException("synchronised batch normalisation (--sync-bn) cannot be combined with split-invariant shards (--reduction-shards): each shard normalises over its own examples");
        }
        if (train.Count < group.Size)
        {
            throw new DistributedMismatchException(string.Create(CultureInfo.InvariantCulture,
                $"synchronised batch normalisation needs at least one training example per rank; the training set has {train.Count} for {group.Size} ranks"));
        }
        var sum = new BatchStatisticsSum(group);
        foreach (IBatchStatisticsLayer layer in _network.Layers.OfType<IBatchStatisticsLayer>())
        {
            layer.CrossReplicaSum = sum;
        }
        return sum;
    }

    private static TrainingTotals SumOverRanks(TrainingTotals mine, ICommunicator group)
    {
        Span<double> sums = [mine.LossSum, mine.Correct];
        group.Sum(sums);
        Span<long> first = [mine.FirstNonFiniteStep == 0 ? long.MaxValue : mine.FirstNonFiniteStep];
        group.Min(first);
        return new TrainingTotals(sums[0], (long)sums[1], first[0] == long.MaxValue ? 0 : first[0]);
    }

    // Every rank must train the same model on the same data with the same settings: compared by
    // hash before the first step (the initial weights included: the same seed gives the same ones).
    private void AgreeOnConfiguration(TrainingData data, ICommunicator group)
    {
        var fingerprint = new ConfigurationFingerprint();
        fingerprint.Add("shuffle seed", _options.Seed.ToString(CultureInfo.InvariantCulture)); // first: a seed also changes the weights
        fingerprint.Add("model", _network.Name + ": " + string.Join(", ", _network.Parameters.Select(p => $"{p.Name} {p.Value.Shape}{(p.Frozen ? " frozen" : "")}")));
        fingerprint.AddParameters("model weights (initialisation seed, --weights or resumed checkpoint)", _network);
        fingerprint.Add("batch size", _options.BatchSize.ToString(CultureInfo.InvariantCulture));
        fingerprint.Add("reduction shards", _options.ReductionShards.ToString(CultureInfo.InvariantCulture));
        fingerprint.Add("epochs", _options.Epochs.ToString(CultureInfo.InvariantCulture));
        fingerprint.Add("optimiser", string.Create(CultureInfo.InvariantCulture, $"{_optimizer.Name} {_optimizer.LearningRate} {_schedule.Description} {_options.Clipping?.Description}"));
        fingerprint.Add("loss", _loss.Name);
        fingerprint.Add("batch-norm synchronisation (--sync-bn)", _options.Distributed!.SyncBatchNorm ? "on" : "off");
        fingerprint.Add("resumed position", string.Create(CultureInfo.InvariantCulture, $"{CompletedEpochs} {GlobalStep}"));
        fingerprint.AddData("training data", data.Train);
        fingerprint.AddData("validation data", data.Validation);
        fingerprint.AddData("test data", data.Test);
        foreach (var (key, value) in _options.Metadata ?? [])
        {
            if (key != "data") // the data folder's path may differ between machines; its contents are compared above
            {
                fingerprint.Add($"'{key}' setting", value?.ToJsonString() ?? "null");
            }
        }
        fingerprint.Agree(group);
    }

    // One process's whole step on the given batch (what a CUDA graph captures; graphs are off with
    // loss scaling, whose unscale reads the host); returns the loss and output the statistics read.
    private (Tensor Loss, Tensor Output) WholeStep(Tensor inputs, Tensor labels, TrainingStatistics statistics, long number)
    {
        (Tensor Loss, Tensor Output) step = ForwardBackward(inputs, labels, statistics, number);
        ApplyGradients();
        return step;
    }

    // Forward, losses and backward of one batch (or shard), its loss and top-1 added to the statistics
    // as step `number`; the loss includes the penalty of the weights it was computed with.
    private (Tensor Loss, Tensor Output) ForwardBackward(Tensor inputs, Tensor labels, TrainingStatistics statistics, long number)
    {
        Tensor output = _network.Forward(inputs, training: true);
        LossOutput l = ComputeLosses(output, labels);
        ScaleLossGradients(l.Gradient);
        _network.Backward(l.Gradient, _auxiliaryGradients);
        Tensor loss = StepLoss(l.Value);
        statistics.Add(loss, output, labels, number);
        return (loss, output);
    }

    // The summed gradients into the weights. Loss scaling: the gradients are unscaled before anything
    // else reads them, and a step whose gradients overflowed is skipped (on every rank alike: they
    // were summed).
    private void ApplyGradients()
    {
        if (_options.LossScaling?.Unscale(_network.Parameters) != false)
        {
            _options.Regularizer?.AddGradients(_network.Parameters);
            _options.Clipping?.Apply(_network.Parameters);
            _optimizer.Step(_network.Parameters);
        }
    }

    // fp16 loss scaling: the main and auxiliary loss gradients multiplied by the scale before backward.
    private void ScaleLossGradients(Tensor gradient)
    {
        if (_options.LossScaling is not { } scaler)
        {
            return;
        }
        scaler.ScaleGradient(gradient);
        for (int k = 0; k < _auxiliaryGradients.Length; k++)
        {
            scaler.ScaleGradient(_auxiliaryGradients[k]);
        }
    }

    // The auxiliary outputs' losses first (their gradients copied out of the loss's reused buffer; the
    // network weights them), then the main output's, whose value is the one reported.
    private LossOutput ComputeLosses(Tensor output, Tensor labels)
    {
        for (int k = 0; k < _auxiliaryGradients.Length; k++)
        {
            Tensor gradient = _loss.Compute(_network.AuxiliaryOutput(k), labels).Gradient;
            _auxiliaryGradients[k] = _auxiliaryBuffers[k].Like(gradient);
            gradient.Backend.Copy(gradient, _auxiliaryGradients[k]);
        }
        return _loss.Compute(output, labels);
    }

    /// <summary>
    /// Top-1, top-5, confusion matrix and (given <paramref name="loss"/>) mean loss of
    /// <paramref name="network"/> on <paramref name="data"/>, in inference mode. Given a
    /// <paramref name="group"/>, every rank calls it and evaluates its share of the batches, and every
    /// rank gets the whole set's result, exactly one process's (with rank 0's batch-norm statistics).
    /// </summary>
    public static EvaluationResult Evaluate(Network network, ImageDataset data, int batchSize = 256, ILoss? loss = null, ICommunicator? group = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        using var evaluator = new Evaluator(network, data, batchSize, loss, prefetch: 2, group);
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
        if (_options.Distributed is { Communicator.Size: var ranks })
        {
            metadata["trainer"]!["ranks"] = ranks; // resuming needs as many: local batch-norm statistics depend on it
        }
        if (_options.ReductionShards != 0)
        {
            metadata["trainer"]!["reduction_shards"] = _options.ReductionShards; // with as many shards, any rank count resumes it
        }
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
        int ranks = checkpoint.Metadata["trainer"]?["ranks"]?.GetValue<int>() ?? 1;
        int ranksNow = _options.Distributed?.Communicator.Size ?? 1;
        int shards = checkpoint.Metadata["trainer"]?["reduction_shards"]?.GetValue<int>() ?? 0;
        if (ranks != ranksNow && !(shards != 0 && shards == _options.ReductionShards)) // split-invariant: the rank count changes no bit
        {
            throw new DistributedMismatchException(string.Create(CultureInfo.InvariantCulture,
                $"checkpoint '{path}' was trained on {ranks} rank(s) but this run has {ranksNow}; resume it with the same number of ranks ({(ranks == 1 ? "one process, without --distributed" : $"mpirun -np {ranks}")})"));
        }
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
        if (_options.BestCheckpointPath is { } best && WritesFiles && MonitoredMetric.Improves(_options.BestMetric, metric,
            double.IsNaN(_bestMetric) ? (MonitoredMetric.LowerIsBetter(_options.BestMetric) ? double.PositiveInfinity : double.NegativeInfinity) : _bestMetric))
        {
            _bestMetric = metric;
            CreateCheckpoint().Write(best, _options.ReplaceForeignCheckpoint);
        }
        WriteCheckpoint();
        return stop;
    }

    private void WriteCheckpoint()
    {
        if (_options.CheckpointPath is { } path && WritesFiles)
        {
            CreateCheckpoint().Write(path, _options.ReplaceForeignCheckpoint);
            _lastCheckpoint = Path.GetFullPath(path);
        }
    }

    // Only rank 0 of a distributed run writes: every rank holds the same state.
    private bool WritesFiles => _options.Distributed?.IsRoot ?? true;

    // The step's loss with the penalties added, still on the backend (the loss's own value is left alone).
    private Tensor StepLoss(Tensor value)
    {
        if (_options.Regularizer is not { } regularizer)
        {
            return value;
        }
        Tensor scalar = _stepLoss.Scalar(value.Backend, value.DataType);
        value.Backend.Copy(value, scalar);
        regularizer.AddPenalty(_network.Parameters, scalar);
        return scalar;
    }

    // A read showed a non-finite loss: name the first step whose loss was not finite (the
    // accumulator keeps it), with the rate that step used. Steps after it have run on the device,
    // but nothing is evaluated or written from them.
    private void ThrowIfDiverged(TrainingTotals totals, int epoch, long epochStartStep, long seen, int stepsPerEpoch)
    {
        if (totals.FirstNonFiniteStep == 0 && double.IsFinite(totals.LossSum))
        {
            return;
        }
        long first = totals.FirstNonFiniteStep > 0 ? totals.FirstNonFiniteStep : GlobalStep;
        int step = checked((int)(first - epochStartStep));
        throw new TrainingDivergedException(epoch, step, first, totals.LossSum / seen, _schedule.RateAt(first - 1, stepsPerEpoch), _lastCheckpoint);
    }

    private Evaluator? Evaluator(ImageDataset? data) =>
        data is null ? null : new Evaluator(_network, data, _options.EvaluationBatchSize, _loss, _options.PrefetchBatches, _options.Distributed?.Communicator);

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
