using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// An ordered list of <see cref="SampleTransform"/>s applied to one sample. Transform k of sample
/// i in epoch e draws from the stream seeded by (seed, e, i, k) alone (see <see cref="SampleSeed"/>),
/// so a sample's augmentation does not depend on batch order, thread, or the other transforms' settings.
/// </summary>
/// <remarks>
/// <para>Compact spec (the CLI's <c>--augment</c>): items separated by commas, each <c>name</c> or
/// <c>name=ARGS</c>; ARGS are the transform's arguments in order, separated by <c>:</c>; an argument
/// that is a list separates its numbers with <c>/</c>. Numbers use a dot for decimals.</para>
/// <list type="bullet">
/// <item><c>flip</c>, <c>flip=P</c> — horizontal flip with probability P (default 0.5)</item>
/// <item><c>crop=PAD</c> — zero-pad PAD pixels on each side, crop back to the original size at a random place</item>
/// <item><c>resized-crop</c>, <c>resized-crop=SMIN/SMAX:RMIN/RMAX</c> — random area fraction and aspect ratio, resized back (defaults 0.08/1 and 0.75/1.333)</item>
/// <item><c>jitter=S</c>, <c>jitter=B:C:S</c> — brightness, contrast, saturation strengths (one value: all three)</item>
/// <item><c>translate=F</c>, <c>translate=FX/FY</c> — shift by up to that fraction of the width/height</item>
/// <item><c>rotate=DEG</c> — rotate by up to DEG degrees either way</item>
/// <item><c>shear=DEG</c> — horizontal shear by up to DEG degrees either way</item>
/// <item><c>normalize=M1/M2/M3:S1/S2/S3</c>, <c>normalize=M:S</c> — per-channel (x − mean)/std; kept at evaluation</item>
/// </list>
/// <para>Example: <c>flip,crop=4,jitter=0.2,rotate=15,normalize=0.4914/0.4822/0.4465:0.247/0.243/0.261</c>.</para>
/// <para>JSON (config files): an array whose items are objects with <c>type</c> and named arguments
/// (a number or an array of numbers), or spec items as strings:
/// <c>[{"type": "crop", "padding": 4}, "flip", {"type": "normalize", "mean": [0.5], "std": [0.25]}]</c>.</para>
/// </remarks>
public sealed class AugmentationPipeline
{
    private readonly SampleTransform[] _transforms;

    /// <summary>A pipeline of <paramref name="transforms"/>, applied in order.</summary>
    /// <exception cref="ConfigurationException">A colour jitter follows a normalisation (it clamps to [0, 1]).</exception>
    public AugmentationPipeline(IEnumerable<SampleTransform> transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        _transforms = [.. transforms];
        int normalize = Array.FindIndex(_transforms, t => t is Normalization);
        int jitter = Array.FindLastIndex(_transforms, t => t is ColorJitter);
        if (normalize >= 0 && jitter > normalize)
        {
            throw new ConfigurationException($"augmentation '{_transforms[jitter].Spec}' comes after '{_transforms[normalize].Spec}': jitter works on [0, 1] values, so put it before normalize");
        }
    }

    /// <summary>The empty pipeline: samples pass unchanged.</summary>
    public static AugmentationPipeline None { get; } = new([]);

    /// <summary>The transforms in order.</summary>
    public IReadOnlyList<SampleTransform> Transforms => _transforms;

    /// <summary>Whether any transform is random.</summary>
    public bool IsRandom => _transforms.Any(t => t.IsRandom);

    /// <summary>The pipeline for evaluation data: the deterministic transforms (normalisation) only.</summary>
    public AugmentationPipeline ForEvaluation() => new(_transforms.Where(t => !t.IsRandom));

    /// <summary>The compact spec that parses back to this pipeline.</summary>
    public override string ToString() => string.Join(",", _transforms.Select(t => t.Spec));

    /// <summary>Throws <see cref="ConfigurationException"/> when a transform cannot apply to samples of <paramref name="shape"/>.</summary>
    public void Check(Shape shape)
    {
        foreach (SampleTransform t in _transforms)
        {
            t.Check(shape);
        }
    }

    /// <summary>The seed of sample <paramref name="index"/> in epoch <paramref name="epoch"/> for pipeline seed <paramref name="seed"/>.</summary>
    public static ulong SampleSeed(ulong seed, int epoch, int index) =>
        CounterRandom.Derive(CounterRandom.Derive(seed, (ulong)(uint)epoch), (ulong)(uint)index);

    /// <summary>Transforms <paramref name="sample"/> in place as sample <paramref name="index"/> of epoch <paramref name="epoch"/>.</summary>
    public void Apply(Span<float> sample, Shape shape, ulong seed, int epoch, int index)
    {
        ulong sampleSeed = SampleSeed(seed, epoch, index);
        for (int k = 0; k < _transforms.Length; k++)
        {
            var random = new SampleRandom(CounterRandom.Derive(sampleSeed, (ulong)k));
            _transforms[k].Apply(sample, shape, ref random);
        }
    }

    /// <summary>Parses a compact spec (syntax in the remarks); empty or whitespace gives <see cref="None"/>.</summary>
    /// <exception cref="ConfigurationException">Unknown transform, unknown or malformed argument, or a value out of range; the message names it.</exception>
    public static AugmentationPipeline Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var transforms = new List<SampleTransform>();
        foreach (string raw in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
            {
                if (spec.Trim().Length > 0)
                {
                    throw new ConfigurationException($"empty augmentation item in '{spec}' (two commas in a row, or a comma at an end)");
                }
                continue;
            }
            transforms.Add(ParseItem(raw));
        }
        return new AugmentationPipeline(transforms);
    }

    private static SampleTransform ParseItem(string item)
    {
        int eq = item.IndexOf('=');
        string name = (eq < 0 ? item : item[..eq]).Trim();
        TransformCatalog.Entry entry = TransformCatalog.Find(name, item);
        var values = new Dictionary<string, double[]>();
        if (eq >= 0)
        {
            string[] args = item[(eq + 1)..].Split(':');
            if (args.Length > entry.Arguments.Length)
            {
                throw new ConfigurationException(
                    $"augmentation '{name}' in '{item}': takes at most {entry.Arguments.Length} argument(s) ({string.Join(":", entry.Arguments)}), got {args.Length}");
            }
            for (int a = 0; a < args.Length; a++)
            {
                values[entry.Arguments[a]] = args[a].Split('/').Select(v => ParseNumber(v, name, item)).ToArray();
            }
        }
        return entry.Create(new TransformArguments(name, item, values));
    }

    private static double ParseNumber(string text, string name, string item)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
        {
            throw new ConfigurationException($"augmentation '{name}' in '{item}': '{text}' is not a number");
        }
        return v;
    }

    /// <summary>Parses a JSON array of transforms (format in the remarks).</summary>
    /// <exception cref="ConfigurationException">Malformed JSON, unknown transform or argument, or a bad value; the message names it.</exception>
    public static AugmentationPipeline FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ConfigurationException($"augmentation JSON is malformed: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        return FromJson(node);
    }

    /// <summary>Builds the pipeline from an already parsed JSON array.</summary>
    /// <exception cref="ConfigurationException">As <see cref="FromJson(string)"/>.</exception>
    public static AugmentationPipeline FromJson(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            throw new ConfigurationException($"augmentation JSON must be an array of transforms, got {node?.GetValueKind().ToString() ?? "null"}");
        }
        var transforms = new List<SampleTransform>();
        for (int i = 0; i < array.Count; i++)
        {
            JsonNode? item = array[i];
            if (item is JsonValue value && value.TryGetValue(out string? text))
            {
                transforms.Add(ParseItem(text));
            }
            else if (item is JsonObject obj)
            {
                transforms.Add(ParseObject(obj, i));
            }
            else
            {
                throw new ConfigurationException($"augmentation item {i} must be an object with \"type\" or a spec string, got {item?.ToJsonString() ?? "null"}");
            }
        }
        return new AugmentationPipeline(transforms);
    }

    private static SampleTransform ParseObject(JsonObject obj, int index)
    {
        string source = obj.ToJsonString();
        if (obj["type"] is not JsonValue typeValue || !typeValue.TryGetValue(out string? name))
        {
            throw new ConfigurationException($"augmentation item {index} has no \"type\" string: {source}");
        }
        TransformCatalog.Entry entry = TransformCatalog.Find(name, source);
        var values = new Dictionary<string, double[]>();
        foreach (var (key, value) in obj)
        {
            if (key == "type")
            {
                continue;
            }
            if (!entry.Arguments.Contains(key))
            {
                throw new ConfigurationException($"augmentation '{name}' in {source}: unknown argument '{key}'; arguments: {string.Join(", ", entry.Arguments)}");
            }
            values[key] = value switch
            {
                JsonArray list => list.Select(v => JsonNumber(v, name, key, source)).ToArray(),
                _ => [JsonNumber(value, name, key, source)],
            };
        }
        return entry.Create(new TransformArguments(name, source, values));
    }

    private static double JsonNumber(JsonNode? node, string name, string key, string source) =>
        node is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d)
            ? d
            : throw new ConfigurationException($"augmentation '{name}' in {source}: argument '{key}' must be a number or an array of numbers, got {node?.ToJsonString() ?? "null"}");
}
