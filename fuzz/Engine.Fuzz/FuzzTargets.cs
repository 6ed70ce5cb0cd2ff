using System.CommandLine;
using Engine.Cli;
using Engine.Core;
using Engine.Datasets.Cifar;
using Engine.Datasets.Idx;
using Engine.Imaging;
using Engine.Backend.OpenBlas;
using Engine.Interop.Onnx;
using Engine.Layers.Standard;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Fuzz;

/// <summary>
/// The parsers of files that come from outside, each as a function of the file's bytes. A parser
/// may refuse its input only with the engine's own <see cref="EngineException"/> (the one-line
/// errors users see); any other exception, a hang or a crash is a finding.
/// </summary>
public static class FuzzTargets
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("engine-fuzz-").FullName;

    /// <summary>Target names and what each parses.</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["model-json"] = bytes => ModelFile.Load(Write("model.json", bytes)),
        ["config"] = Config,
        ["checkpoint"] = bytes => Checkpoint.Read(Write("fuzz.ckpt", bytes)),
        ["idx"] = bytes => IdxReader.Read(Write("fuzz-idx", bytes), expectedRank: bytes.Length > 0 && bytes[^1] % 2 == 0 ? 3 : 1),
        ["cifar"] = bytes => CifarBinaryReader.Read([Write("fuzz.bin", bytes)], new CifarRecordLayout(1, 0, 10), CifarClassNames.Cifar10),
        // Any image file: SkiaSharp's codecs behind the engine's size check and error mapping.
        ["image"] = bytes => Convert(ImageDecoder.Decode(bytes, "fuzz.image")),
        ["pgm"] = bytes => Convert(NetpbmDecoder.Decode(bytes, "fuzz.pgm")),
        ["npy"] = bytes => NpyFile.ReadFloat32(Write("fuzz.npy", bytes)),
        ["onnx"] = Onnx,
    };

    /// <summary>Runs <paramref name="target"/>; null when it accepted the input, the engine error's message when it refused it.</summary>
    public static string? Run(string target, byte[] input)
    {
        try
        {
            All[target](input);
            return null;
        }
        catch (EngineException e)
        {
            return e.Message;
        }
    }

    // The whole of 'engine train's settings from a config file: keys, value conversions, the optimiser
    // object, then the schedule and augmentation specs it may hold.
    private static void Config(byte[] bytes)
    {
        string path = Write("config.json", bytes);
        var options = new TrainOptions();
        var command = new Command("train");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }
        TrainSettings settings = new TrainSettingsReader(options, command.Parse(["--config", path])).Read();
        if (settings.Schedule is string schedule)
        {
            LearningRateSchedules.Parse(schedule, new ScheduleContext(settings.LearningRate, settings.Epochs, 100));
        }
        if (settings.Augment is string augment)
        {
            _ = AugmentationPipeline.Parse(augment);
        }
    }

    // What 'engine import' does with a file: the plugin reads it (protobuf, opset, operators, its size
    // limits), then the engine model is built from it and its weights matched by name and shape. The
    // build is shape-only (no parameter memory), so hostile sizes cost nothing but their checks.
    private static void Onnx(byte[] bytes)
    {
        string path = Write("fuzz.onnx", bytes);
        ModelPackage package = new OnnxFormat().Read(path);
        using Network network = ModelFormats.Build(Catalog.Value, ShapesOnly.Value, package, path);
    }

    private static readonly Lazy<ComponentCatalog> Catalog = new(() =>
    {
        var services = new ServiceCollection();
        services.AddEngineCore();
        new StandardLayersPlugin().Register(services);
        new OnnxPlugin().Register(services);
        return services.BuildServiceProvider().GetRequiredService<ComponentCatalog>();
    });

    private static readonly Lazy<ShapeOnlyBackend> ShapesOnly = new(() => new ShapeOnlyBackend(new OpenBlasBackendProvider().Create()));

    private static void Convert(DecodedImage image)
    {
        _ = ImageConversion.ToPlanarFloats(image);
        _ = ImageConversion.ToPlanarFloats(image, channels: image.Channels == 1 ? 3 : 1);
    }

    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
