using System.CommandLine;
using Engine.Core.Distributed;

namespace Engine.Cli;

/// <summary>
/// The options of <c>engine train</c>. A <c>--config</c> file's keys are these long names without
/// the dashes, so the two cannot drift apart: <see cref="ConfigKeys"/> is derived from this list.
/// </summary>
internal sealed class TrainOptions
{
    public Option<string?> Config { get; } = new("--config") { Description = "JSON file of settings whose keys are the long option names ({\"model\": \"lenet5\", \"batch-size\": 64, \"optimizer\": {\"name\": \"sgd\", \"lr\": 0.05}}); options on the command line override it" };
    public Option<string> Model { get; } = new("--model") { Description = "Registered model name (see 'engine plugins') or a JSON model file", DefaultValueFactory = _ => "mlp" };
    public Option<string> Dataset { get; } = new("--dataset") { Description = "Data-set loader name", DefaultValueFactory = _ => "mnist" };
    public Option<string?> Data { get; } = new("--data") { Description = "Folder holding the data-set files (default: data/<dataset>)" };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 1 };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Examples per step", DefaultValueFactory = _ => 64 };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "Learning rate (default 0.1, or the lr in --optimizer-args)", DefaultValueFactory = _ => 0.1 };
    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "Optimiser name (see 'engine plugins')", DefaultValueFactory = _ => "sgd" };
    public Option<string?> OptimizerArgs { get; } = new("--optimizer-args") { Description = "Extra optimiser arguments as a JSON object, e.g. '{\"momentum\": 0.9, \"nesterov\": true}'" };
    public Option<double?> Momentum { get; } = new("--momentum") { Description = "Momentum, in [0, 1) (an optimiser argument)" };
    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay, ≥ 0 (an optimiser argument)" };
    public Option<string?> Schedule { get; } = new("--schedule") { Description = "Learning-rate schedule spec, e.g. 'step:step_size=30,gamma=0.1' or 'cosine'" };
    public Option<double?> ClipNorm { get; } = new("--clip-norm") { Description = "Clip the global gradient norm to this value (> 0)" };
    public Option<double?> ValidationSplit { get; } = new("--validation-split") { Description = "Fraction of the training set held out for validation, in (0, 1)" };
    public Option<int?> EarlyStopping { get; } = new("--early-stopping") { Description = "Stop after this many epochs without validation improvement (patience ≥ 1)" };
    public Option<string?> Augment { get; } = new("--augment") { Description = "Augmentation spec, e.g. 'crop=4,flip'" };
    public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Save a checkpoint to this file after every epoch" };
    public Option<bool> Force { get; } = new("--force") { Description = "Let --checkpoint replace an existing file that is not an engine checkpoint (refused otherwise)" };
    public Option<bool> AllowChanges { get; } = new("--allow-changes") { Description = "Let --resume continue with another batch size, data set, limit, augmentation or input than the checkpoint's (each difference is printed)" };
    public Option<string?> Resume { get; } = new("--resume") { Description = "Resume training from this checkpoint file" };
    public Option<string?> Metrics { get; } = new("--metrics") { Description = "Write per-epoch metrics to FILE.csv or FILE.json" };
    public Option<string?> LogSteps { get; } = new("--log-steps") { Description = "Write every step's progress (epoch, step, running loss and accuracy, learning rate) to FILE.csv" };
    public Option<string?> Curves { get; } = new("--curves") { Description = "Plot loss and accuracy curves to FILE.svg or FILE.png" };
    public Option<string?> Dashboard { get; } = new("--dashboard") { Description = "Serve a live dashboard (curves, learning rate, images/s, ETA, first-layer filters, confusion matrix) at HOST:PORT (default 127.0.0.1 and a free port, printed)", Arity = ArgumentArity.ZeroOrOne };
    public Option<string[]> Freeze { get; } = new("--freeze") { Description = "Keep parameters matching this name pattern fixed, e.g. 'conv1.*' (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<string?> Weights { get; } = new("--weights") { Description = "Start from the weights of this checkpoint: every parameter whose name and shape match is loaded, the rest keep their initialisation (transfer learning)" };
    public Option<bool> ReplaceHead { get; } = new("--replace-head") { Description = "Give the model's last dense layer one output per class of the data set (a new classifier head for transfer learning)" };
    public Option<int?> KFold { get; } = new("--kfold") { Description = "K-fold cross-validation with K ≥ 2 folds of the training set" };
    public Option<bool> Progress { get; } = new("--progress") { Description = "Show per-step progress (live bars on a terminal, a line every 10% of an epoch otherwise); the default" };
    public Option<bool> NoProgress { get; } = new("--no-progress") { Description = "Only the per-epoch lines" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed for initialisation and shuffling", DefaultValueFactory = _ => 1UL };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name", DefaultValueFactory = _ => "cpu" };
    public Option<string> Fallback { get; } = FallbackChoice.CreateOption();
    public Option<int?> Limit { get; } = new("--limit") { Description = "Use only the first N training examples (quick runs)" };
    public Option<bool> NoCudaGraphs { get; } = new("--no-cuda-graphs") { Description = "On a GPU backend, run every training step op by op instead of capturing one as a CUDA graph and replaying it (to compare; the results are the same)" };
    public Option<string?> Distributed { get; } = new("--distributed") { Description = "Data-parallel training across the processes of 'mpirun -np N engine train … --distributed mpi': --batch-size is the global batch, split across the ranks; rank 0 writes the files; 'nccl' instead on the cudnn backend: one process per GPU, gradients summed on the GPUs with NCCL (ranks started by mpirun or by --nproc N; without either, one rank)" };
    public Option<int?> Processes { get; } = new("--nproc") { Description = "With --distributed nccl: start N ranks on this machine, one process per GPU (rank r opens GPU r modulo the GPUs present; CUDA_VISIBLE_DEVICES chooses them), instead of mpirun, as torchrun --nproc-per-node does. This process makes the NCCL group id, shows rank 0's output and the other ranks' errors, and ends every rank when one fails (exit 1, naming it) or on Ctrl+C. Example: engine train --model lenet5 --dataset mnist --device gpu --distributed nccl --nproc 2" };
    public Option<int?> ReductionShards { get; } = new("--reduction-shards") { Description = "Split-invariant gradients: cut each batch into K fixed shards (K a power of two dividing --batch-size; 8 is a good choice), run each shard's forward/backward on its own and add their gradients in a fixed tree, so 1 process and any power-of-two rank count up to K train bit-identical weights (batch norm then normalises per shard)" };
    public Option<string?> BatchSplit { get; } = new("--batch-split") { Description = "auto, on or off: cut each batch into one sub-batch per CPU thread and run each through the whole network on its own thread, gradients added in a fixed order (auto: for small models on the openblas backend; default: ENGINE_BATCH_SPLIT, else auto)" };
    public Option<bool> SyncBn { get; } = new("--sync-bn") { Description = "With --distributed: batch normalisation trains with the statistics of the global batch (summed over the ranks) instead of each rank's share" };
    public Option<double> DistributedTimeout { get; } = new("--distributed-timeout") { Description = "With --distributed: seconds a rank waits for the others in one collective before it ends the job with an error (a rank stopped or stuck)", DefaultValueFactory = _ => MpiCommunicator.DefaultTimeout.TotalSeconds };

    /// <summary>Every option, in the order help lists them.</summary>
    public IReadOnlyList<Option> All =>
    [
        Config, Model, Dataset, Data, Epochs, BatchSize, LearningRate, Optimizer, OptimizerArgs, Momentum, WeightDecay, Schedule,
        ClipNorm, ValidationSplit, EarlyStopping, Augment, Checkpoint, Force, Resume, AllowChanges, Metrics, LogSteps, Curves, Dashboard, Weights, ReplaceHead, Freeze, KFold, Progress, NoProgress,
        Seed, Device, Fallback, Limit, Distributed, Processes, SyncBn, DistributedTimeout, ReductionShards, NoCudaGraphs, BatchSplit,
    ];

    /// <summary>The keys a config file may hold: every long option name but <c>config</c> itself.</summary>
    public IReadOnlySet<string> ConfigKeys => All.Where(o => o != Config).Select(o => o.Name.TrimStart('-')).ToHashSet(StringComparer.Ordinal);
}
