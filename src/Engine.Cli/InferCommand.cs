using System.CommandLine;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine infer --checkpoint C|--model M.onnx --input X.npy --output Y.npy</c>: the raw outputs of
/// a network on a float32 N×C×H×W array. The inputs go to the network as they are: apply the
/// normalisation recorded in the checkpoint or the ONNX metadata first, as ONNX Runtime would need.
/// </summary>
internal static class InferCommand
{
    private static readonly Option<string?> CheckpointFile = new("--checkpoint") { Description = "Checkpoint to run" };
    private static readonly Option<string?> Model = new("--model") { Description = "Without --checkpoint: a model file with weights (.onnx)" };
    private static readonly Option<string> Input = new("--input") { Description = "NumPy float32 array N×C×H×W (little-endian, C order)", Required = true };
    private static readonly Option<string> Output = new("--output") { Description = "Where to write the outputs, a NumPy float32 array N×…", Required = true };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Samples per forward pass", DefaultValueFactory = _ => 256 };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, or a backend name", DefaultValueFactory = _ => "cpu" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("infer", "Run a checkpoint or an ONNX model on a NumPy float32 array and write the raw outputs as NumPy float32")
        {
            CheckpointFile, Model, Input, Output, BatchSize, Device,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        string? checkpointPath = result.GetValue(CheckpointFile), model = result.GetValue(Model);
        if ((checkpointPath is null) == (model is null))
        {
            throw new ConfigurationException("give either --checkpoint FILE or --model FILE.onnx");
        }
        int batchSize = result.GetValue(BatchSize);
        if (batchSize < 1)
        {
            throw new ConfigurationException($"--batch-size must be at least 1, got {batchSize}");
        }
        string inputPath = result.GetValue(Input)!;
        (int[] shape, float[] values) = NpyFile.ReadFloat32(inputPath);
        if (shape.Length < 2 || shape[0] < 1)
        {
            throw new DataFormatException(inputPath, $"array of shape ({string.Join(", ", shape)}) is not N×C×… with N ≥ 1");
        }
        var sample = new Shape(shape[1..]);
        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(options);
        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        using Network network = checkpointPath is not null
            ? CheckpointModel.Open(checkpointPath).BuildNetwork(host, backend, null, sample)
            : ModelFormats.Build(host, backend, ModelFormats.Require(host, model!).Read(model!), model!);
        if (network.InputShape != sample)
        {
            throw new DataFormatException(inputPath, $"samples of {EvalCommand.Dims(sample)} do not fit model '{network.Name}', which takes {EvalCommand.Dims(network.InputShape)}");
        }
        int n = shape[0], inSize = (int)sample.ElementCount, outSize = (int)network.OutputShape.ElementCount;
        var outputs = new float[(long)n * outSize];
        using Tensor x = backend.Allocate(sample.WithBatch(Math.Min(batchSize, n)));
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            Tensor batch = count == x.Shape[0] ? x : backend.Allocate(sample.WithBatch(count)); // the last, smaller batch
            try
            {
                backend.CopyFromHost<float>(values.AsSpan(start * inSize, count * inSize), batch);
                Tensor y = network.Forward(batch, training: false);
                backend.CopyToHost<float>(y, outputs.AsSpan(start * outSize, count * outSize));
            }
            finally
            {
                if (!ReferenceEquals(batch, x))
                {
                    batch.Dispose();
                }
            }
        }
        NpyFile.WriteFloat32(result.GetValue(Output)!, [n, .. network.OutputShape], outputs);
        output.WriteLine($"inferred  {n} sample(s) of {EvalCommand.Dims(sample)} through {network.Name} → {EvalCommand.Dims(network.OutputShape)} each: {Path.GetFullPath(result.GetValue(Output)!)}");
        return 0;
    }
}
