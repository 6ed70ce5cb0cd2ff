using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Cli;

/// <summary>
/// Turns a parsed <c>engine train</c> command line and its optional <c>--config</c> file into
/// validated <see cref="TrainSettings"/>. Precedence: an option given on the command line, then the
/// file's key, then the option's default. Every error is one line naming the option (or file and key) and the value.
/// </summary>
internal sealed class TrainSettingsReader(TrainOptions options, ParseResult result)
{
    private TrainConfigFile _config = TrainConfigFile.None;

    public TrainSettings Read()
    {
        if (result.GetValue(options.Config) is string path)
        {
            _config = TrainConfigFile.Load(path, options.ConfigKeys);
        }
        JsonObject optimizerArgs = ParseObject(Value(options.OptimizerArgs), "--optimizer-args");
        var settings = new TrainSettings
        {
            Model = Value(options.Model)!,
            Dataset = Value(options.Dataset)!,
            Data = Value(options.Data),
            Epochs = Positive(Value(options.Epochs), "--epochs"),
            BatchSize = Positive(Value(options.BatchSize), "--batch-size"),
            LearningRate = CheckedLearningRate(optimizerArgs),
            Optimizer = Value(options.Optimizer)!,
            OptimizerArguments = optimizerArgs,
            Momentum = InRange(Value(options.Momentum), "--momentum", 0, 1, "in [0, 1)", upperOpen: true),
            WeightDecay = InRange(Value(options.WeightDecay), "--weight-decay", 0, double.PositiveInfinity, "≥ 0"),
            Schedule = NotEmpty(Value(options.Schedule), "--schedule"),
            ClipNorm = Positive(Value(options.ClipNorm), "--clip-norm"),
            Precision = result.GetValue(EngineCli.Precision),
            ValidationSplit = InRange(Value(options.ValidationSplit), "--validation-split", 0, 1, "in (0, 1)", lowerOpen: true, upperOpen: true),
            EarlyStopping = Value(options.EarlyStopping) is int patience ? Positive(patience, "--early-stopping") : null,
            Augment = NotEmpty(Value(options.Augment), "--augment"),
            Checkpoint = NotEmpty(Value(options.Checkpoint), "--checkpoint"),
            Force = Value(options.Force),
            AllowChanges = Value(options.AllowChanges),
            Resume = ExistingFile(Value(options.Resume), "--resume"),
            Metrics = Extension(Value(options.Metrics), "--metrics", ".csv", ".json"),
            LogSteps = Extension(Value(options.LogSteps), "--log-steps", ".csv"),
            Curves = Extension(Value(options.Curves), "--curves", ".svg", ".png"),
            // Given without a value the option is still present: "" means loopback and a free port.
            Dashboard = IsSet(options.Dashboard) ? Value(options.Dashboard) ?? "" : null,
            Weights = ExistingFile(Value(options.Weights), "--weights"),
            ReplaceHead = Value(options.ReplaceHead),
            Freeze = (Value(options.Freeze) ?? []).Select(p => NotEmpty(p, "--freeze")!).ToArray(),
            KFold = Value(options.KFold) is int k ? (k >= 2 ? k : throw Error($"--kfold must be an integer ≥ 2, got {k}")) : null,
            Progress = ProgressChoice(),
            Seed = Value(options.Seed),
            Device = Value(options.Device)!,
            Fallback = NotEmpty(Value(options.Fallback), "--fallback") ?? FallbackChoice.Default,
            Limit = Value(options.Limit) is int limit ? Positive(limit, "--limit") : null,
            CudaGraphs = !Value(options.NoCudaGraphs),
            Distributed = Value(options.Distributed) switch
            {
                null => null,
                "mpi" => "mpi",
                "nccl" => "nccl",
                string other => throw Error($"--distributed must be 'mpi' (processes started by mpirun) or 'nccl' (one process per GPU, the gradients summed with NCCL), got '{other}'"),
            },
            Processes = Value(options.Processes) is int processes ? Positive(processes, "--nproc") : null,
            ReductionShards = Value(options.ReductionShards) is int shards
                ? (shards > 0 && System.Numerics.BitOperations.IsPow2(shards) ? shards : throw Error($"--reduction-shards must be a power of two (1, 2, 4, 8, …), got {shards}"))
                : null,
            BatchSplit = Value(options.BatchSplit) is string split ? Engine.Core.BatchSplitModes.Parse(split, "--batch-split") : null,
            SyncBn = Value(options.SyncBn),
            DistributedTimeout = TimeSpan.FromSeconds(Positive(Value(options.DistributedTimeout), "--distributed-timeout")!.Value),
        };
        return settings;
    }

    /// <summary>The command line's value if given there, else the config file's, else the default.</summary>
    private T? Value<T>(Option<T> option)
    {
        string key = option.Name.TrimStart('-');
        bool onCommandLine = result.GetResult(option) is { Implicit: false };
        return !onCommandLine && _config.Has(key) ? _config.Get<T>(key) : result.GetValue(option);
    }

    private bool IsSet<T>(Option<T> option) =>
        result.GetResult(option) is { Implicit: false } || _config.Has(option.Name.TrimStart('-'));

    // --lr (command line or file) wins; otherwise an "lr" among the optimiser arguments; otherwise the default.
    private double CheckedLearningRate(JsonObject optimizerArgs)
    {
        double lr = Value(options.LearningRate);
        if (!IsSet(options.LearningRate) && optimizerArgs["lr"] is JsonValue given)
        {
            lr = given.GetValueKind() == JsonValueKind.Number ? given.GetValue<double>() : throw Error($"--optimizer-args: \"lr\" must be a number, got {given.ToJsonString()}");
        }
        return lr > 0 && double.IsFinite(lr) ? lr : throw Error($"--lr must be a positive number, got {Format(lr)}");
    }

    // --progress / --no-progress on the command line override "progress" / "no-progress" in the file.
    private bool? ProgressChoice()
    {
        bool onHere = result.GetResult(options.Progress) is { Implicit: false };
        bool offHere = result.GetResult(options.NoProgress) is { Implicit: false };
        if (onHere && offHere)
        {
            throw Error("--progress and --no-progress contradict each other; give one");
        }
        if (onHere || offHere)
        {
            return onHere ? result.GetValue(options.Progress) : !result.GetValue(options.NoProgress);
        }
        bool? on = _config.Has("progress") ? _config.Get<bool>("progress") : null;
        bool? off = _config.Has("no-progress") ? _config.Get<bool>("no-progress") : null;
        return (on, off) switch
        {
            (bool, bool) => throw Error($"--config file '{_config.Path}': give 'progress' or 'no-progress', not both"),
            (bool value, null) => value,
            (null, bool value) => !value,
            _ => null,
        };
    }

    private static JsonObject ParseObject(string? json, string option)
    {
        if (json is null)
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw Error($"{option} must be a JSON object such as '{{\"momentum\": 0.9}}', got '{json}'");
        }
        catch (JsonException)
        {
            throw Error($"{option} must be a JSON object such as '{{\"momentum\": 0.9}}', got '{json}'");
        }
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw Error($"{option} must be a positive integer, got {value}");

    private static double? Positive(double? value, string option) =>
        value is not double v || (v > 0 && double.IsFinite(v)) ? value : throw Error($"{option} must be a positive number, got {Format(v)}");

    private static double? InRange(double? value, string option, double low, double high, string range, bool lowerOpen = false, bool upperOpen = false)
    {
        if (value is not double v)
        {
            return null;
        }
        bool above = lowerOpen ? v > low : v >= low;
        bool below = upperOpen ? v < high : v <= high;
        return above && below && !double.IsNaN(v) ? v : throw Error($"{option} must be {range}, got {Format(v)}");
    }

    private static string? NotEmpty(string? value, string option) =>
        value is null || !string.IsNullOrWhiteSpace(value) ? value : throw Error($"{option} must not be empty");

    private static string? ExistingFile(string? path, string option) =>
        NotEmpty(path, option) is null || File.Exists(path) ? path
            : throw Error(Directory.Exists(path) ? $"{option} '{path}' is a folder; give a checkpoint file" : $"{option} file '{path}' does not exist");

    private static string? Extension(string? path, string option, params string[] allowed) =>
        NotEmpty(path, option) is null || allowed.Contains(System.IO.Path.GetExtension(path), StringComparer.OrdinalIgnoreCase)
            ? path
            : throw Error($"{option} must name a {string.Join(" or ", allowed)} file, got '{path}'");

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static ConfigurationException Error(string message) => new(message);
}
