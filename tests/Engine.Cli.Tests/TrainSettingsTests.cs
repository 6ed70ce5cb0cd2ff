using System.CommandLine;

namespace Engine.Cli.Tests;

public sealed class TrainSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void DefaultsWithoutConfig()
    {
        TrainSettings s = Read();
        Assert.Equal(("mlp", "mnist", 1, 64, 0.1, "sgd", 1UL, "cpu"), (s.Model, s.Dataset, s.Epochs, s.BatchSize, s.LearningRate, s.Optimizer, s.Seed, s.Device));
        Assert.Null(s.Progress);
        Assert.Null(s.Momentum);
        Assert.Equal("""{"lr":0.1}""", s.EffectiveOptimizerArguments().ToJsonString());
    }

    [Fact]
    public void DistributedOptionsComeFromTheConfigFileToo()
    {
        TrainSettings s = Read("--config", Config("""{ "distributed": "mpi", "sync-bn": true, "distributed-timeout": 30 }"""));
        Assert.Equal(("mpi", true, TimeSpan.FromSeconds(30)), (s.Distributed, s.SyncBn, s.DistributedTimeout));
        TrainSettings defaults = Read("--distributed", "mpi");
        Assert.Equal((false, TimeSpan.FromMinutes(10)), (defaults.SyncBn, defaults.DistributedTimeout));
    }

    [Fact]
    public void ConfigKeysMirrorTheLongOptions()
    {
        string config = Config("""
            { "model": "lenet5", "epochs": 5, "batch-size": 32, "seed": 9, "limit": 500,
              "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
              "schedule": "step:30:0.1", "clip-norm": 5, "validation-split": 0.1, "early-stopping": 3,
              "augment": "crop:4,flip", "metrics": "m.csv", "curves": "c.svg", "freeze": ["conv1.*", "conv2.*"],
              "kfold": 5, "progress": false }
            """);
        TrainSettings s = Read("--config", config);
        Assert.Equal(("lenet5", 5, 32, 9UL, 500), (s.Model, s.Epochs, s.BatchSize, s.Seed, s.Limit));
        Assert.Equal(("sgd", 0.05), (s.Optimizer, s.LearningRate));
        Assert.Equal("""{"lr":0.05,"momentum":0.9}""", s.EffectiveOptimizerArguments().ToJsonString());
        Assert.Equal(("step:30:0.1", 5.0, 0.1, 3, "crop:4,flip"), (s.Schedule, s.ClipNorm, s.ValidationSplit, s.EarlyStopping, s.Augment));
        Assert.Equal(("m.csv", "c.svg", 5, false), (s.Metrics, s.Curves, s.KFold, s.Progress));
        Assert.Equal(["conv1.*", "conv2.*"], s.Freeze);
    }

    [Fact]
    public void TheCommandLineOverridesTheFile()
    {
        string config = Config("""{"epochs": 5, "batch-size": 32, "lr": 0.05, "momentum": 0.5, "no-progress": true}""");
        TrainSettings s = Read("--config", config, "--epochs", "2", "--lr", "0.3", "--progress");
        Assert.Equal((2, 32, 0.3, 0.5, true), (s.Epochs, s.BatchSize, s.LearningRate, s.Momentum, s.Progress));
        Assert.Equal("""{"lr":0.3,"momentum":0.5,"weight_decay":0.01}""",
            Read("--config", config, "--lr", "0.3", "--weight-decay", "0.01").EffectiveOptimizerArguments().ToJsonString());
    }

    [Fact]
    public void AnLrOption_BeatsTheLrInOptimizerArgs()
    {
        Assert.Equal(0.02, Read("--optimizer-args", """{"lr": 0.02, "nesterov": true}""").LearningRate);
        Assert.Equal(0.5, Read("--optimizer-args", """{"lr": 0.02}""", "--lr", "0.5").LearningRate);
        Assert.Equal(0.7, Read("--config", Config("""{"lr": 0.7, "optimizer-args": {"lr": 0.02}}""")).LearningRate);
    }

    [Fact]
    public void AnUnknownKeyNamesTheFileAndTheKey()
    {
        string config = Config("""{"epochs": 2, "batchsize": 32}""");
        string message = Assert.Throws<ConfigurationException>(() => Read("--config", config)).Message;
        Assert.StartsWith($"--config file '{config}': unknown key 'batchsize'; keys are the long option names of 'engine train': allow-changes, augment, batch-size,", message);
        Assert.DoesNotContain("'config'", message.Split(':').Last()); // a config file cannot include another
    }

    [Theory]
    [InlineData("""{"epochs": "five"}""", "key 'epochs' must be an integer, got \"five\"")]
    [InlineData("""{"epochs": 2.5}""", "key 'epochs' must be an integer, got 2.5")]
    [InlineData("""{"lr": true}""", "key 'lr' must be a number, got true")]
    [InlineData("""{"optimizer": {"lr": 0.1}}""", "key 'optimizer' as an object needs a string \"name\"")]
    [InlineData("""{"progress": "yes"}""", "key 'progress' must be true or false, got \"yes\"")]
    [InlineData("""[1, 2]""", "the top level must be a JSON object")]
    [InlineData("""{"epochs": 2,""", "invalid JSON at line 1")]
    public void BadConfigValuesAreNamed(string json, string expected)
    {
        string config = Config(json);
        string message = Assert.Throws<ConfigurationException>(() => Read("--config", config)).Message;
        Assert.StartsWith($"--config file '{config}': ", message);
        Assert.Contains(expected, message);
    }

    [Theory]
    [InlineData("--momentum", "1", "--momentum must be in [0, 1), got 1")]
    [InlineData("--weight-decay", "-0.1", "--weight-decay must be ≥ 0, got -0.1")]
    [InlineData("--validation-split", "0", "--validation-split must be in (0, 1), got 0")]
    [InlineData("--clip-norm", "0", "--clip-norm must be a positive number, got 0")]
    [InlineData("--early-stopping", "0", "--early-stopping must be a positive integer, got 0")]
    [InlineData("--kfold", "1", "--kfold must be an integer ≥ 2, got 1")]
    [InlineData("--metrics", "out.txt", "--metrics must name a .csv or .json file, got 'out.txt'")]
    [InlineData("--curves", "out.jpg", "--curves must name a .svg or .png file, got 'out.jpg'")]
    [InlineData("--resume", "/no/such.ckpt", "--resume file '/no/such.ckpt' does not exist")]
    [InlineData("--optimizer-args", "[1]", "--optimizer-args must be a JSON object such as '{\"momentum\": 0.9}', got '[1]'")]
    [InlineData("--lr", "-1", "--lr must be a positive number, got -1")]
    [InlineData("--reduction-shards", "6", "--reduction-shards must be a power of two (1, 2, 4, 8, …), got 6")]
    public void BadOptionValuesAreNamed(string option, string value, string expected) =>
        Assert.Equal(expected, Assert.Throws<ConfigurationException>(() => Read(option, value)).Message);

    [Fact]
    public void ReductionShardsComeFromTheConfigFile() =>
        Assert.Equal(8, Read("--config", Config("""{"reduction-shards": 8}""")).ReductionShards);

    [Fact]
    public void ProgressAndNoProgressContradict() =>
        Assert.Contains("contradict", Assert.Throws<ConfigurationException>(() => Read("--progress", "--no-progress")).Message);

    private string Config(string json)
    {
        string path = Path.Combine(_folder, $"config{Directory.GetFiles(_folder).Length}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static TrainSettings Read(params string[] args)
    {
        var options = new TrainOptions();
        var command = new Command("train");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }
        ParseResult result = command.Parse(args);
        Assert.Empty(result.Errors);
        return new TrainSettingsReader(options, result).Read();
    }
}
