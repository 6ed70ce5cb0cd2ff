using System.CommandLine;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary><c>engine summary</c>: per layer the output shape, parameters and multiply-accumulates of a model.</summary>
internal static class SummaryCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Registered model name (see 'engine plugins') or a JSON model file", Required = true };
    private static readonly Option<string?> Input = new("--input") { Description = "Per-sample input shape, e.g. 1x28x28 or 3x32x32 (default: the data set's, else the model's own, else mnist's)" };
    private static readonly Option<string?> Dataset = new("--dataset") { Description = "Take the input shape from this data set (when --input is not given; default: the model's own input, such as 3x224x224 for resnet50, else mnist's)" };
    private static readonly Option<string?> Data = new("--data") { Description = "Folder holding the data-set files (default: data/<dataset>)" };
    private static readonly Option<string> Device = new("--device") { Description = "cpu, gpu, auto (a GPU if one is available, else the CPU), or a backend name (the network is built there to infer shapes)", DefaultValueFactory = _ => "cpu" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("summary", "Print each layer's output shape, parameters and multiply-accumulates per sample, and the totals")
        {
            Model, Input, Dataset, Data, Device,
        };
        command.SetAction(result => EngineCli.Guard(error, () => Run(result, output)));
        return command;
    }

    private static int Run(ParseResult result, TextWriter output)
    {
        var options = new EngineHostOptions();
        options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(options);
        string model = result.GetValue(Model)!;
        ModelSpec spec = ModelFormats.ResolveModel(host, model);
        Shape inputShape = result.GetValue(Input) is string text ? ParseShape(text)
            : result.GetValue(Dataset) is string dataset ? DatasetShape(host, dataset, result)
            : ModelFormats.DeclaredInput(host, model) ?? DefaultInput(host, model) ?? DatasetShape(host, "mnist", result);
        using IBackend backend = host.CreateBackend(result.GetValue(Device)!);
        // Shapes and counts only: parameters get no memory (a 1.6-billion-parameter model would take 6 GB).
        using var shapes = new ShapeOnlyBackend(backend);
        using Network network = host.BuildNetwork(spec, shapes, inputShape, seed: 1);
        SummaryRenderer.Write(ModelSummary.Of(network), output, TerminalOutput.IsInteractive(output));
        return 0;
    }

    private static Shape DatasetShape(EngineHost host, string name, ParseResult result) =>
        host.LoadDataset(name, result.GetValue(Data) ?? Path.Combine("data", name)).Train.SampleShape;

    /// <summary>The registered model's own input (ImageNet models: 3×224×224); null for a model file or a model without one.</summary>
    private static Shape? DefaultInput(EngineHost host, string model) =>
        model.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(model) ? null : host.Catalog.Model(model).DefaultInput;

    /// <summary>Reads <c>1x28x28</c> (also with × or commas) as a per-sample shape.</summary>
    internal static Shape ParseShape(string text)
    {
        string[] parts = text.Split(['x', 'X', '×', ','], StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
            {
                throw new ConfigurationException($"--input must be positive dimensions such as 1x28x28, got '{text}'");
            }
        }
        var shape = new Shape(dims);
        SizeLimits.CheckSample("--input", "shape", shape);
        return shape;
    }
}
