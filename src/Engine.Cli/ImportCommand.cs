using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary><c>engine import MODEL.onnx --output MODEL.ckpt</c>: a model file of a plugin's format (ONNX) as an engine checkpoint.</summary>
internal static class ImportCommand
{
    private static readonly Argument<string> Source = new("model") { Description = "The model file to import (.onnx)" };
    private static readonly Option<string> Output = new("--output") { Description = "The checkpoint to write", Required = true };
    private static readonly Option<string?> Dataset = new("--dataset") { Description = "Data set to record in the checkpoint, so that eval and predict need no --dataset" };
    private static readonly Option<string?> Data = new("--data") { Description = "Its folder (default: data/<dataset>)" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("import", "Import a model file (ONNX) as a checkpoint usable by eval, predict, infer, export and train --weights")
        {
            Source, Output, Dataset, Data,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        string source = result.GetValue(Source)!, target = result.GetValue(Output)!;
        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(options);
        IModelFormat format = ModelFormats.Require(host, source);
        ModelPackage package = format.Read(source);
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = ModelFormats.Build(host, backend, package, source);

        var state = new StateDictionary();
        ModelState.Save(network, state);
        JsonObject metadata = Metadata(package, result.GetValue(Dataset), result.GetValue(Data));
        new Checkpoint(state, metadata).Write(target);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"imported  {source} ({format.Name}, {package.Metadata["onnx_producer"]?.ToString() ?? "unknown producer"}): {network.Layers.Count} layers, {network.ParameterCount:N0} parameters, input {EvalCommand.Dims(network.InputShape)}, output {EvalCommand.Dims(network.OutputShape)}"));
        if (package.Metadata["input_layout"] is JsonValue layout)
        {
            output.WriteLine($"layout    {layout.GetValue<string>()}"); // a leading Transpose was folded: inputs go in as N×C×H×W
        }
        if (metadata["augment"] is JsonNode augment)
        {
            output.WriteLine($"normalise {augment}");
        }
        output.WriteLine($"checkpoint {Path.GetFullPath(target)}");
        return 0;
    }

    // The checkpoint metadata eval and predict read (see CheckpointModel); the file's normalisation
    // becomes the 'augment' spec, so inputs are normalised as the exporter's training run did.
    private static JsonObject Metadata(ModelPackage package, string? dataset, string? data)
    {
        var metadata = new JsonObject
        {
            ["model"] = package.Spec.Name,
            ["model_spec"] = JsonNode.Parse(ModelFile.ToJson(package.Spec)),
            ["model_seed"] = 1,
            ["input_shape"] = new JsonArray(package.InputShape.Select(d => (JsonNode)d).ToArray()),
            ["imported_from"] = package.Metadata.DeepClone(),
        };
        if (ModelExport.NormalizationSpec(package.Metadata) is string augment)
        {
            metadata["augment"] = augment;
        }
        if (package.Metadata["class_names"] is JsonArray names)
        {
            metadata["class_names"] = names.DeepClone();
        }
        if (dataset is not null)
        {
            metadata["dataset"] = dataset;
            metadata["data"] = Path.GetFullPath(data ?? Path.Combine("data", dataset));
        }
        return metadata;
    }
}
