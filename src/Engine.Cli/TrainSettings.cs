using Engine.Core.Distributed;
using System.Text.Json.Nodes;

namespace Engine.Cli;

/// <summary>
/// Everything <c>engine train</c> was asked to do, from the command line over a <c>--config</c> file
/// over the defaults, validated.
/// </summary>
internal sealed record TrainSettings
{
    public required string Model { get; init; }
    public required string Dataset { get; init; }
    public string? Data { get; init; }
    public required int Epochs { get; init; }
    public required int BatchSize { get; init; }
    public required double LearningRate { get; init; }
    public required string Optimizer { get; init; }

    /// <summary>Extra optimiser arguments (<c>--optimizer-args</c>, or the object form of <c>"optimizer"</c> in a config file).</summary>
    public JsonObject OptimizerArguments { get; init; } = [];
    public double? Momentum { get; init; }
    public double? WeightDecay { get; init; }

    /// <summary>Learning-rate schedule spec, e.g. <c>step:30:0.1</c> or <c>cosine</c> (parsed by the optim branch).</summary>
    public string? Schedule { get; init; }
    public double? ClipNorm { get; init; }

    /// <summary>The global --precision (tf32, strict, bf16, fp16; null: the backend's default).</summary>
    public string? Precision { get; init; }
    public double? ValidationSplit { get; init; }

    /// <summary>Early-stopping patience in epochs.</summary>
    public int? EarlyStopping { get; init; }

    /// <summary>Augmentation spec, e.g. <c>crop=4,flip</c> (parsed by the data branch).</summary>
    public string? Augment { get; init; }

    /// <summary>Whether the checkpoint may replace an existing file that is not a checkpoint.</summary>
    public bool Force { get; init; }

    /// <summary>Whether --resume may continue with settings other than the checkpoint's (each printed as a note).</summary>
    public bool AllowChanges { get; init; }
    public string? Checkpoint { get; init; }
    public string? Resume { get; init; }
    public string? Metrics { get; init; }
    public string? Curves { get; init; }

    /// <summary>HOST:PORT of the live dashboard ("" for 127.0.0.1 and a free port), or null for none.</summary>
    public string? Dashboard { get; init; }

    /// <summary>CSV file receiving one row per training step.</summary>
    public string? LogSteps { get; init; }

    /// <summary>Checkpoint whose matching parameters initialise the model (transfer learning).</summary>
    public string? Weights { get; init; }

    /// <summary>Resize the last dense layer to the data set's class count.</summary>
    public bool ReplaceHead { get; init; }

    /// <summary>Parameter name patterns (<c>conv1.*</c>) kept fixed during training.</summary>
    public IReadOnlyList<string> Freeze { get; init; } = [];
    public int? KFold { get; init; }

    /// <summary>Per-step progress: true on, false off, null automatic (on; live bars on a terminal, plain lines elsewhere).</summary>
    public bool? Progress { get; init; }
    public required ulong Seed { get; init; }
    public required string Device { get; init; }

    /// <summary>False with <c>--no-cuda-graphs</c>: see <see cref="Engine.Core.TrainingOptions.CudaGraphs"/>.</summary>
    public bool CudaGraphs { get; init; } = true;

    /// <summary><c>--fallback</c>: cpu, none or a backend name (see <see cref="FallbackChoice"/>).</summary>
    public string Fallback { get; init; } = FallbackChoice.Default;
    public int? Limit { get; init; }

    /// <summary>"mpi" for data-parallel training across the ranks of an MPI job; null for one process.</summary>
    public string? Distributed { get; init; }

    /// <summary><c>--nproc</c>: the ranks this process starts on this machine (one per GPU) instead of an MPI launcher; null: none.</summary>
    public int? Processes { get; init; }

    /// <summary>Split-invariant gradient reduction over this many shards per batch (null: off); see <see cref="Engine.Core.TrainingOptions.ReductionShards"/>.</summary>
    public int? ReductionShards { get; init; }

    /// <summary>Batch-level parallelism (null: ENGINE_BATCH_SPLIT, else auto); see <see cref="Engine.Core.Network.BatchSplit"/>.</summary>
    public Engine.Core.BatchSplitMode? BatchSplit { get; init; }

    /// <summary><c>--sync-bn</c>: batch-norm statistics summed over the ranks.</summary>
    public bool SyncBn { get; init; }

    /// <summary><c>--distributed-timeout</c>: how long a rank waits in one collective.</summary>
    public TimeSpan DistributedTimeout { get; init; } = MpiCommunicator.DefaultTimeout;

    /// <summary>
    /// The arguments the optimiser is created with: <see cref="OptimizerArguments"/>, with the
    /// learning rate, momentum and weight decay options on top (named as the optimisers name them).
    /// </summary>
    public JsonObject EffectiveOptimizerArguments()
    {
        var args = (JsonObject)OptimizerArguments.DeepClone();
        args["lr"] = LearningRate;
        if (Momentum is double momentum)
        {
            args["momentum"] = momentum;
        }
        if (WeightDecay is double decay)
        {
            args["weight_decay"] = decay;
        }
        return args;
    }
}
