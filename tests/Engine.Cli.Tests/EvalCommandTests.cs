using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;
using Engine.Tests;

namespace Engine.Cli.Tests;

public sealed class EvalCommandTests
{
    [Fact]
    public void EvalPrintsWhatTrainerEvaluateMeasuresWithTheTrainingNormalisation()
    {
        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", TrainedCheckpoint.Path);
        Assert.Equal("", error);
        Assert.Equal(0, code);

        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = TrainedCheckpoint.Load(host, backend);
        using ILoss loss = host.CreateLoss();
        ImageDataset test = host.LoadDataset("mnist", RepoPaths.Mnist).Test;
        EvaluationResult expected = Trainer.Evaluate(network, new AugmentedDataset(test, AugmentationPipeline.Parse(TrainedCheckpoint.Augment), 0), 256, loss);
        // Without the normalisation the numbers differ, so equal numbers show it was applied.
        EvaluationResult raw = Trainer.Evaluate(network, test, 256, loss);
        Assert.NotEqual(F4(expected.Loss), F4(raw.Loss));
        Assert.InRange(expected.Top1, 0.5, 0.97);

        string text = output.ReplaceLineEndings("\n");
        Assert.Contains("model       mlp, input 1×28×28, 203,530 parameters\n", text);
        Assert.Contains("normalize   normalize=0.1307:0.3081 (the evaluation side of the training augmentation)\n", text);
        Assert.Contains("examples    10000\n", text);
        Assert.Contains($"loss        {F4(expected.Loss)}\n", text);
        Assert.Contains($"top-1       {F4(expected.Top1)}\n", text);
        Assert.Contains($"top-5       {F4(expected.Top5)}\n", text);
        // The matrix with every count and each class's recall.
        Assert.Contains(expected.FormatConfusionMatrix(), text);
        Assert.DoesNotContain('\u001b', output);
    }

    [Fact]
    public void TenCropEvaluationMatchesTheCoreAndNeedsTheCropToBeTheInputSize()
    {
        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", TrainedCheckpoint.Path, "--ten-crop", "28x28", "--batch-size", "500");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = TrainedCheckpoint.Load(host, backend);
        ImageDataset test = new AugmentedDataset(host.LoadDataset("mnist", RepoPaths.Mnist).Test, AugmentationPipeline.Parse(TrainedCheckpoint.Augment), 0);
        double top1 = TenCropEvaluation.Evaluate(network, test, 28, 28, 100);
        Assert.Contains($"top-1       {F4(top1)} (10-crop 28×28, softmax averaged over the crops)", output);

        var (code24, _, error24) = CliRunner.Run("eval", "--checkpoint", TrainedCheckpoint.Path, "--ten-crop", "24x24");
        Assert.Equal(1, code24);
        Assert.Equal("error: 10-crop evaluation: model 'mlp' takes [1, 28, 28] but the crops are [1, 24, 24]", error24.TrimEnd());
    }

    [Fact]
    public void AMissingCheckpointIsNamed()
    {
        var (code, _, error) = CliRunner.Run("eval", "--checkpoint", "/no/such/run.ckpt");
        Assert.Equal(1, code);
        Assert.Equal("error: /no/such/run.ckpt: checkpoint file not found", error.TrimEnd());
    }

    [Fact]
    public void MissingMetadataNamesTheKeyAndTheOption()
    {
        string bare = TrainedCheckpoint.TempFile(".ckpt");
        try
        {
            new Checkpoint(Checkpoint.Read(TrainedCheckpoint.Path).State, new JsonObject()).Write(bare);
            var (code, _, error) = CliRunner.Run("eval", "--checkpoint", bare);
            Assert.Equal(1, code);
            Assert.Equal($"error: checkpoint {bare} has no \"dataset\" in its metadata; give --dataset NAME", error.TrimEnd());

            (code, _, error) = CliRunner.Run("eval", "--checkpoint", bare, "--dataset", "mnist", "--data", RepoPaths.Mnist);
            Assert.Equal(1, code);
            Assert.Equal($"error: checkpoint {bare} has no \"model_spec\" in its metadata; give --model NAME|FILE.json", error.TrimEnd());

            // With both given, the bare checkpoint evaluates (without normalisation: none was recorded).
            string output;
            (code, output, error) = CliRunner.Run("eval", "--checkpoint", bare, "--dataset", "mnist", "--data", RepoPaths.Mnist, "--model", "mlp");
            Assert.Equal("", error);
            Assert.Equal(0, code);
            Assert.DoesNotContain("normalize", output);
            Assert.Contains("examples    10000", output);
        }
        finally
        {
            File.Delete(bare);
        }
    }

    [Fact]
    public void WeightsOfAnotherModelAreAnErrorListingTheEntries()
    {
        var (code, _, error) = CliRunner.Run("eval", "--checkpoint", TrainedCheckpoint.Path, "--model", "lenet5");
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {TrainedCheckpoint.Path}: the weights do not fit model 'lenet5' with input 1×28×28: 10 entries not loaded: conv1.weight (not in the checkpoint); conv1.bias (not in the checkpoint);", error);
        Assert.EndsWith("classifier.bias (not in the checkpoint)", error.TrimEnd());
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("--split", "validation", "error: --split must be test or train, got 'validation'")]
    [InlineData("--batch-size", "0", "error: --batch-size must be at least 1, got 0")]
    [InlineData("--ten-crop", "24", "error: --ten-crop must be a crop size HxW such as 24x24, got '24'")]
    public void BadOptionsAreNamed(string option, string value, string expected)
    {
        var (code, _, error) = CliRunner.Run("eval", "--checkpoint", TrainedCheckpoint.Path, option, value);
        Assert.Equal(1, code);
        Assert.Equal(expected, error.TrimEnd());
    }

    private static string F4(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
