using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Interop.Onnx;

/// <summary>
/// Reads a layer's arguments as the standard layers read them (an integer for every axis or one per
/// axis; padding as 'valid', 'same', an integer, one per axis, or [before, after] pairs), so that the
/// exporter resolves the same geometry the engine runs.
/// </summary>
internal sealed class LayerArguments(string owner, JsonObject? arguments)
{
    private readonly JsonObject _arguments = arguments ?? [];

    /// <summary>"layer 'conv1' (conv2d)", for errors.</summary>
    public string Owner { get; } = owner;

    public int Int(string name, int defaultValue) =>
        _arguments[name] is JsonNode node ? ToInt(name, node) : defaultValue;

    public double Double(string name, double defaultValue) =>
        _arguments[name] is JsonNode node ? (TryNumber(node, out double d) ? d : throw Invalid(name, "a number")) : defaultValue;

    /// <summary>Whether argument <paramref name="name"/> is given as JSON null (not merely absent).</summary>
    public bool IsNull(string name) => _arguments.TryGetPropertyValue(name, out JsonNode? node) && node is null;

    /// <summary>The raw value of argument <paramref name="name"/>, or null.</summary>
    public JsonNode? Json(string name) => _arguments[name];

    public bool Bool(string name, bool defaultValue) =>
        _arguments[name] is JsonValue v && v.TryGetValue(out bool b) ? b
        : _arguments[name] is null ? defaultValue
        : throw Invalid(name, "true or false");

    /// <summary>An integer for every axis or a list of <paramref name="rank"/>; <paramref name="defaultValue"/> when absent (null: required).</summary>
    public int[] Ints(string name, int rank, int[]? defaultValue)
    {
        JsonNode? node = _arguments[name];
        if (node is null)
        {
            return defaultValue ?? throw new ConfigurationException($"{Owner}: missing required argument '{name}'");
        }
        if (node is JsonArray list)
        {
            return list.Count == rank ? list.Select(item => ToInt(name, item ?? throw Invalid(name, "integers"))).ToArray() : throw Invalid(name, $"{rank} integers");
        }
        return Enumerable.Repeat(ToInt(name, node), rank).ToArray();
    }

    /// <summary>
    /// The padding before and after each spatial axis of a window over <paramref name="spatial"/>,
    /// with 'same' resolved as the engine resolves it (<see cref="ConvolutionGeometry.SamePadding"/>).
    /// </summary>
    public (int[] Before, int[] After) Padding(int[] spatial, int[] kernel, int[] stride, int[] dilation)
    {
        int rank = spatial.Length;
        JsonNode? node = _arguments["padding"];
        int[] before = new int[rank], after = new int[rank];
        if (node is null)
        {
            return (before, after);
        }
        if (node.GetValueKind() == JsonValueKind.String)
        {
            switch (node.GetValue<string>())
            {
                case "valid":
                    return (before, after);
                case "same":
                    for (int i = 0; i < rank; i++)
                    {
                        (before[i], after[i]) = ConvolutionGeometry.SamePadding(spatial[i], kernel[i], stride[i], dilation[i]);
                    }
                    return (before, after);
                default:
                    throw Invalid("padding", "'valid', 'same' or integers");
            }
        }
        if (node is JsonArray { Count: > 0 } pairs && pairs[0] is JsonArray)
        {
            for (int i = 0; i < rank; i++)
            {
                if (pairs.Count != rank || pairs[i] is not JsonArray { Count: 2 } pair)
                {
                    throw Invalid("padding", $"{rank} [before, after] pairs");
                }
                before[i] = ToInt("padding", pair[0]!);
                after[i] = ToInt("padding", pair[1]!);
            }
            return (before, after);
        }
        int[] symmetric = Ints("padding", rank, null);
        return (symmetric, (int[])symmetric.Clone());
    }

    private int ToInt(string name, JsonNode node)
    {
        if (TryNumber(node, out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
        {
            return (int)d;
        }
        throw Invalid(name, "an integer");
    }

    // A value made in code holds an int or a double, one parsed from JSON a JsonElement: read the text.
    private static bool TryNumber(JsonNode node, out double value)
    {
        value = 0;
        return node.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private ConfigurationException Invalid(string name, string expected) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{Owner}: argument '{name}' is {_arguments[name]?.ToJsonString()}; expected {expected}"));
}
