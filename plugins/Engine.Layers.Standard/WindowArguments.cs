using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Layers.Standard;

/// <summary>
/// Zero padding of a window layer as written in a model. Either 'same' (worked out per input so
/// that out = ceil(in / stride), via <see cref="ConvolutionGeometry.SamePadding"/>), or explicit
/// zeros before and after each spatial axis ('valid' is all zeros).
/// </summary>
/// <param name="Same">Whether the padding is 'same'; <paramref name="Before"/> and <paramref name="After"/> are then unused.</param>
/// <param name="Before">Zeros before each axis.</param>
/// <param name="After">Zeros after each axis.</param>
internal sealed record WindowPadding(bool Same, int[] Before, int[] After)
{
    /// <summary>The geometry of a pooling window (no dilation, no groups).</summary>
    public ConvolutionGeometry Geometry(Shape input, int[] kernel, int[] stride) =>
        Geometry(input, kernel, stride, Enumerable.Repeat(1, kernel.Length).ToArray(), 1);

    /// <inheritdoc/>
    public override string ToString() => Same ? "same" : $"{string.Join('x', Before)}/{string.Join('x', After)}";

    /// <summary>The geometry for a per-sample input C×(spatial), with 'same' resolved for its sizes.</summary>
    public ConvolutionGeometry Geometry(Shape input, int[] kernel, int[] stride, int[] dilation, int groups)
    {
        if (!Same)
        {
            return new ConvolutionGeometry(kernel, stride, Before, After, dilation, groups);
        }
        int rank = kernel.Length;
        if (input.Rank != rank + 1)
        {
            throw new ShapeException($"input {input} should be C×{rank} spatial axes ({rank + 1} dimensions)");
        }
        int[] before = new int[rank], after = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            (before[i], after[i]) = ConvolutionGeometry.SamePadding(input[i + 1], kernel[i], stride[i], dilation[i]);
        }
        return new ConvolutionGeometry(kernel, stride, before, after, dilation, groups);
    }
}

/// <summary>Reads the window arguments shared by convolution-like layers: sizes per axis and padding.</summary>
internal static class WindowArguments
{
    /// <summary>Help text for the padding forms, for layer descriptions.</summary>
    public const string PaddingForms = "padding ('valid' (default), 'same', an int for every side, a list with one int per axis, or a list of [before, after] pairs per axis)";

    /// <summary>
    /// An argument given as one integer (used for every axis) or a list of <paramref name="rank"/>
    /// integers, each at least <paramref name="min"/>; <paramref name="defaultValue"/> when absent
    /// (null: required).
    /// </summary>
    public static int[] GetInts(ComponentArguments args, string name, int rank, int? defaultValue, int min)
    {
        JsonNode? node = args.GetJson(name);
        if (node is null)
        {
            return defaultValue is int d
                ? Enumerable.Repeat(d, rank).ToArray()
                : throw new ConfigurationException($"{args.Owner}: missing required argument '{name}'");
        }
        string expected = $"an integer or a list of {rank} integers, each >= {min}";
        if (TryInt(node, out int single))
        {
            return single >= min ? Enumerable.Repeat(single, rank).ToArray() : throw Invalid(args, name, node, expected);
        }
        if (node is JsonArray list && list.Count == rank)
        {
            var values = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (list[i] is not JsonNode item || !TryInt(item, out values[i]) || values[i] < min)
                {
                    throw Invalid(args, name, node, expected);
                }
            }
            return values;
        }
        throw Invalid(args, name, node, expected);
    }

    /// <summary>The 'padding' argument in any of the forms of <see cref="PaddingForms"/>; 'valid' when absent.</summary>
    public static WindowPadding GetPadding(ComponentArguments args, int rank)
    {
        const string name = "padding";
        JsonNode? node = args.GetJson(name);
        string expected = $"'valid', 'same', an integer >= 0, a list of {rank} integers >= 0, or a list of {rank} [before, after] pairs";
        if (node is null)
        {
            return new WindowPadding(false, new int[rank], new int[rank]);
        }
        if (node.GetValueKind() == JsonValueKind.String)
        {
            return node.GetValue<string>() switch
            {
                "valid" => new WindowPadding(false, new int[rank], new int[rank]),
                "same" => new WindowPadding(true, new int[rank], new int[rank]),
                _ => throw Invalid(args, name, node, expected),
            };
        }
        if (node is JsonArray { Count: > 0 } list && list[0] is JsonArray)
        {
            if (list.Count != rank)
            {
                throw Invalid(args, name, node, expected);
            }
            int[] before = new int[rank], after = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (list[i] is not JsonArray { Count: 2 } pair || pair[0] is not JsonNode b || pair[1] is not JsonNode a
                    || !TryInt(b, out before[i]) || !TryInt(a, out after[i]) || before[i] < 0 || after[i] < 0)
                {
                    throw Invalid(args, name, node, expected);
                }
            }
            return new WindowPadding(false, before, after);
        }
        // One integer or one per axis: the same zeros on both sides. Re-read through GetInts for its checks.
        int[] symmetric;
        try
        {
            symmetric = GetInts(args, name, rank, 0, 0);
        }
        catch (ConfigurationException)
        {
            throw Invalid(args, name, node, expected);
        }
        return new WindowPadding(false, symmetric, (int[])symmetric.Clone());
    }

    private static bool TryInt(JsonNode node, out int value)
    {
        value = 0;
        if (node.GetValueKind() != JsonValueKind.Number
            || !double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
        {
            return false;
        }
        value = (int)d;
        return true;
    }

    private static ConfigurationException Invalid(ComponentArguments args, string name, JsonNode node, string expected) =>
        new($"{args.Owner}: argument '{name}' is {node.ToJsonString()}; expected {expected}");
}
