using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary><c>engine export</c> and <c>engine import</c> through the staged ONNX plugin.</summary>
public sealed class OnnxCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-onnx-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ExportImportEvalKeepsTheTrainedNumbersAndTheNormalisation()
    {
        string onnx = Path.Combine(_folder, "mlp.onnx"), imported = Path.Combine(_folder, "mlp.ckpt");
        var (code, output, error) = CliRunner.Run("export", "--checkpoint", TrainedCheckpoint.Path, "--output", onnx);
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Contains("exported  mlp (203,530 parameters, input 1×28×28, output 10) as onnx", output);
        Assert.Contains("metadata  normalize=0.1307:0.3081", output);

        (code, output, error) = CliRunner.Run("import", onnx, "--output", imported, "--dataset", "mnist", "--data", RepoPaths.Mnist);
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Contains("203,530 parameters, input 1×28×28, output 10", output);
        Assert.Contains("normalise normalize=0.1307:0.3081", output);

        // The imported checkpoint evaluates to the same loss and accuracy as the one trained here.
        string Metrics(string checkpoint)
        {
            var (c, o, e) = CliRunner.Run("eval", "--checkpoint", checkpoint, "--dataset", "mnist", "--data", RepoPaths.Mnist);
            Assert.Equal("", e);
            Assert.Equal(0, c);
            return string.Join("\n", o.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("loss", StringComparison.Ordinal) || l.StartsWith("top-", StringComparison.Ordinal)));
        }
        string original = Metrics(TrainedCheckpoint.Path);
        Assert.Contains("top-1", original);
        Assert.Equal(original, Metrics(imported));
    }

    [Fact]
    public void ExportOfARegisteredModelWithRandomWeights()
    {
        string onnx = Path.Combine(_folder, "resnet20.onnx");
        var (code, output, error) = CliRunner.Run("export", "--model", "resnet20", "--output", onnx, "--seed", "3");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Contains("exported  resnet20 (269,722 parameters, input 3×32×32, output 10) as onnx", output);
        Assert.True(new FileInfo(onnx).Length > 269_722 * 4);
    }

    [Fact]
    public void ATruncatedFileIsOneErrorLine()
    {
        string onnx = Path.Combine(_folder, "lenet5.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--model", "lenet5", "--output", onnx).ExitCode);
        byte[] bytes = File.ReadAllBytes(onnx);
        File.WriteAllBytes(onnx, bytes[..(bytes.Length / 3)]);
        var (code, output, error) = CliRunner.Run("import", onnx, "--output", Path.Combine(_folder, "x.ckpt"));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith($"error: {onnx}", error);
        Assert.Contains("not a readable ONNX model (truncated or not protobuf)", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_folder, "x.ckpt")));
    }

    [Fact]
    public void AnUnknownExtensionIsNamed()
    {
        var (code, _, error) = CliRunner.Run("export", "--model", "lenet5", "--output", Path.Combine(_folder, "m.tflite"));
        Assert.Equal(1, code);
        Assert.Contains("no model format reads or writes", error);
        Assert.Contains("known extensions: .onnx", error);
    }

    [Fact]
    public void TheReadmeExamplesRun()
    {
        // README "ONNX": the same commands, with the files in a temporary folder and run.ckpt a trained checkpoint.
        string F(string name) => Path.Combine(_folder, name);
        File.Copy(TrainedCheckpoint.Path, F("run.ckpt"));
        string[][] commands =
        [
            ["export", "--model", "resnet20", "--output", F("resnet20.onnx"), "--seed", "3"],
            ["export", "--checkpoint", F("run.ckpt"), "--output", F("run.onnx")],
            ["import", F("run.onnx"), "--output", F("imported.ckpt"), "--dataset", "mnist", "--data", RepoPaths.Mnist],
            ["eval", "--checkpoint", F("imported.ckpt")],
            ["train", "--model", F("run.onnx"), "--dataset", "mnist", "--data", RepoPaths.Mnist, "--epochs", "1", "--limit", "500", "--no-progress"],
            ["summary", "--model", F("run.onnx")],
            ["infer", "--model", F("run.onnx"), "--input", F("x.npy"), "--output", F("y.npy")],
        ];
        NpyFile.WriteFloat32(F("x.npy"), [3, 1, 28, 28], new float[3 * 784]);
        foreach (string[] command in commands)
        {
            var (code, output, error) = CliRunner.Run(command);
            Assert.True(code == 0, $"engine {string.Join(' ', command)}: {error}");
            if (command[0] == "train")
            {
                Assert.Contains("weights   4 parameter(s) from", output); // the file's weights are the starting point
            }
        }
    }

    [Fact]
    public void ImportOfAChannelsLastModelSaysWhichLayoutTheCheckpointTakes()
    {
        // Keras's layout after tf2onnx: N×8×8×3 transposed to NCHW first, and back before the flatten.
        string model = Path.Combine(RepoPaths.Root, "tests", "Engine.Interop.Onnx.Tests", "Fixtures", "keras_layout.onnx");
        var (code, output, error) = CliRunner.Run("import", model, "--output", Path.Combine(_folder, "keras.ckpt"));
        Assert.True(code == 0, error);
        Assert.Contains("input 3×8×8, output 5", output);
        Assert.Contains("layout    the ONNX graph takes N×8×8×3 and transposes it (perm [0, 3, 1, 2]); the imported model takes N×3×8×8\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void TheReadmeTransferLearningFromPyTorchsLeNetRuns()
    {
        // README "ONNX": PyTorch's LeNet-5 fine-tuned on Fashion-MNIST (the shared copy; MNIST, same format, where it is absent).
        string fashion = Path.Combine(RepoPaths.SharedData, "fashion-mnist");
        (string dataset, string data) = Directory.Exists(fashion) ? ("fashion-mnist", fashion) : ("mnist", RepoPaths.Mnist);
        string model = Path.Combine(RepoPaths.Root, "tests", "Engine.Interop.Onnx.Tests", "Fixtures", "lenet5.onnx");
        string checkpoint = Path.Combine(_folder, "fashion.ckpt");
        var (code, output, error) = CliRunner.Run("train", "--model", model, "--dataset", dataset, "--data", data,
            "--replace-head", "--freeze", "conv*", "--epochs", "1", "--checkpoint", checkpoint, "--limit", "1000", "--no-progress");
        Assert.True(code == 0, error);
        Assert.Contains("weights   10 parameter(s) from", output); // conv1, conv2, fc1, fc2, classifier: weight and bias each
        Assert.Contains("frozen    conv1.weight, conv1.bias, conv2.weight, conv2.bias", output);
        (code, _, error) = CliRunner.Run("export", "--checkpoint", checkpoint, "--output", Path.Combine(_folder, "fashion.onnx"));
        Assert.True(code == 0, error);
    }
}
