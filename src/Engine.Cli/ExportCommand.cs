using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine export --checkpoint C --output M.onnx</c> (a trained model with its normalisation and class
/// names) or <c>--model NAME|FILE</c> (randomly initialised from <c>--seed</c>): a model file of a plugin's format.
/// </summary>
internal static class ExportCommand
{
    private static readonly Option<string?> CheckpointFile = new("--checkpoint") { Description = "Checkpoint to export (written by 'engine train' or 'engine import')" };
    private static readonly Option<string?> Model = new("--model") { Description = "Without --checkpoint: a registered model or JSON model file, randomly initialised" };
    private static readonly Option<string?> Input = new("--input") { Description = "Per-sample input shape, e.g. 3x32x32 (default: the checkpoint's, else the model's own, else 1x28x28)" };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Initialisation seed with --model", DefaultValueFactory = _ => 1UL };
    private static readonly Option<string> Output = new("--output") { Description = "The model file to write (.onnx)", Required = true };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("export", "Export a checkpoint or a model to a model file (ONNX, opset 13, dynamic batch, normalisation in the metadata)")
        {
            CheckpointFile, Model, Input, Seed, Output,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        string target = result.GetValue(Output)!;
        string? checkpointPath = result.GetValue(CheckpointFile), model = result.GetValue(Model);
        if ((checkpointPath is null) == (model is null))
        {
            throw new ConfigurationException("give either --checkpoint FILE or --model NAME|FILE");
        }
        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(options);
        IModelFormat format = ModelFormats.Require(host, target);
        using IBackend backend = host.CreateBackend("cpu");
        Shape? inputOption = result.GetValue(Input) is string text ? SummaryCommand.ParseShape(text) : null;

        ModelSpec spec;
        JsonObject metadata;
        Network network;
        if (checkpointPath is not null)
        {
            CheckpointModel checkpoint = CheckpointModel.Open(checkpointPath);
            Shape input = inputOption ?? checkpoint.InputShape() ?? throw new ConfigurationException($"checkpoint {checkpointPath} has no \"input_shape\" in its metadata; give --input");
            spec = checkpoint.Spec(host, null);
            network = checkpoint.BuildNetwork(host, backend, null, input);
            metadata = ModelExport.Metadata(checkpoint);
        }
        else
        {
            spec = ModelFormats.ResolveModel(host, model!);
            Shape input = inputOption ?? ModelFormats.DeclaredInput(host, model!) ?? DefaultInput(host, model!) ?? new Shape(1, 28, 28);
            network = Network.Build(spec, host.Catalog, backend, input, result.GetValue(Seed));
            metadata = new JsonObject { ["model"] = spec.Name };
        }
        using (network)
        {
            var state = new StateDictionary();
            ModelState.Save(network, state);
            format.Write(new ModelPackage(spec, network.InputShape, state) { Metadata = metadata }, target);
            // Inference needs only the main output's layers (a format leaves auxiliary heads out).
            long parameters = network.Layers.Where((_, i) => network.FeedsMainOutput[i]).Sum(l => l.Parameters.Sum(p => p.Value.ElementCount));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"exported  {network.Name} ({parameters:N0} parameters, input {EvalCommand.Dims(network.InputShape)}, output {EvalCommand.Dims(network.OutputShape)}) as {format.Name}: {Path.GetFullPath(target)}"));
            if (ModelExport.NormalizationSpec(metadata) is string normalization)
            {
                output.WriteLine($"metadata  {normalization}");
            }
        }
        return 0;
    }

    private static Shape? DefaultInput(EngineHost host, string model) =>
        model.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(model) ? null : host.Catalog.Model(model).DefaultInput;
}
