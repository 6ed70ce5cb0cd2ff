using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Features.Classical;

/// <summary>A named 2-D kernel, rows × columns, row-major.</summary>
/// <param name="Name">What users call it (<c>sobel-x</c>, <c>robinson-ne</c>, <c>gaussian</c>, …).</param>
/// <param name="Rows">Height.</param>
/// <param name="Columns">Width.</param>
/// <param name="Weights">Row-major weights.</param>
public sealed record FixedKernel(string Name, int Rows, int Columns, float[] Weights)
{
    /// <summary>This kernel zero-padded, centred, to <paramref name="rows"/>×<paramref name="columns"/>.</summary>
    public FixedKernel PadTo(int rows, int columns)
    {
        if (rows == Rows && columns == Columns)
        {
            return this;
        }
        var padded = new float[rows * columns];
        int top = (rows - Rows) / 2, left = (columns - Columns) / 2;
        for (int y = 0; y < Rows; y++)
        {
            Array.Copy(Weights, y * Columns, padded, ((top + y) * columns) + left, Columns);
        }
        return new FixedKernel(Name, rows, columns, padded);
    }
}

/// <summary>
/// The kernels of <c>fixed_conv2d</c>, applied as cross-correlation (as every layer here computes it):
/// Sobel (x: responds to vertical edges, dark→bright to the right; y: horizontal edges, dark→bright
/// downwards), the eight Robinson compass masks (the Sobel mask turned in 45° steps: north responds to
/// an image brighter at the top, then nw, w, sw, s, se, e, ne), identity, edge detection (the 8-neighbour
/// Laplacian), sharpen, box blur and Gaussian blur (σ, size; normalised to sum 1), or given weights.
/// </summary>
public static class FixedKernels
{
    /// <summary>The compass directions of the Robinson masks, in order.</summary>
    public static readonly string[] Directions = ["n", "nw", "w", "sw", "s", "se", "e", "ne"];

    /// <summary>The names accepted in a kernel list (<c>sobel</c> and <c>robinson</c> stand for several).</summary>
    public const string Names = "sobel (= sobel-x, sobel-y), sobel-x, sobel-y, robinson (all eight), robinson-n|nw|w|sw|s|se|e|ne, identity, edge, sharpen, box-blur (size, default 3), gaussian (sigma default 1, size default 2⌈3σ⌉ + 1), or {\"weights\": [[…], …]}";

    /// <summary>The kernels a list entry names: a string, an object with <c>name</c> and its arguments, or an object with <c>weights</c>.</summary>
    public static IEnumerable<FixedKernel> Parse(JsonNode? entry, string owner)
    {
        switch (entry)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return Named(value.GetValue<string>(), null, owner);
            case JsonObject obj when obj["weights"] is JsonNode weights:
                return [Given(weights, owner)];
            case JsonObject obj when obj["name"] is JsonValue name && name.GetValueKind() == JsonValueKind.String:
                return Named(name.GetValue<string>(), obj, owner);
            default:
                throw new ConfigurationException($"{owner}: a kernel is a name or {{\"name\": …}} or {{\"weights\": [[…]]}}, got {entry?.ToJsonString() ?? "null"}; names: {Names}");
        }
    }

    /// <summary>The kernels called <paramref name="name"/>, with the arguments in <paramref name="arguments"/> (sigma, size).</summary>
    public static IEnumerable<FixedKernel> Named(string name, JsonObject? arguments, string owner)
    {
        string key = name.ToLowerInvariant();
        if (key == "sobel")
        {
            return [SobelX, SobelY];
        }
        if (key == "robinson")
        {
            return Directions.Select(Robinson);
        }
        if (key.StartsWith("robinson-", StringComparison.Ordinal) && Array.IndexOf(Directions, key["robinson-".Length..]) >= 0)
        {
            return [Robinson(key["robinson-".Length..])];
        }
        return key switch
        {
            "sobel-x" => [SobelX],
            "sobel-y" => [SobelY],
            "identity" => [Make("identity", 3, [0, 0, 0, 0, 1, 0, 0, 0, 0])],
            "edge" => [Make("edge", 3, [-1, -1, -1, -1, 8, -1, -1, -1, -1])],
            "sharpen" => [Make("sharpen", 3, [0, -1, 0, -1, 5, -1, 0, -1, 0])],
            "box-blur" => [BoxBlur(Size(arguments, 3, owner))],
            "gaussian" => [Gaussian(Sigma(arguments, owner), arguments, owner)],
            _ => throw new ConfigurationException($"{owner}: unknown kernel '{name}'; known: {Names}"),
        };
    }

    /// <summary>Sobel along x: [−1 0 1; −2 0 2; −1 0 1].</summary>
    public static FixedKernel SobelX { get; } = Make("sobel-x", 3, [-1, 0, 1, -2, 0, 2, -1, 0, 1]);

    /// <summary>Sobel along y: [−1 −2 −1; 0 0 0; 1 2 1].</summary>
    public static FixedKernel SobelY { get; } = Make("sobel-y", 3, [-1, -2, -1, 0, 0, 0, 1, 2, 1]);

    /// <summary>The Robinson compass mask for <paramref name="direction"/> (n, nw, w, sw, s, se, e, ne).</summary>
    public static FixedKernel Robinson(string direction)
    {
        // North is [1 2 1; 0 0 0; −1 −2 −1]; each next direction moves the outer ring one place anticlockwise.
        int steps = Array.IndexOf(Directions, direction);
        (int Row, int Column)[] ring = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)];
        float[] north = [1, 2, 1, 0, -1, -2, -1, 0];
        var weights = new float[9];
        for (int i = 0; i < 8; i++)
        {
            (int r, int c) = ring[i];
            weights[(r * 3) + c] = north[(i + steps) % 8];
        }
        return new FixedKernel($"robinson-{direction}", 3, 3, weights);
    }

    /// <summary>A size×size box blur (each weight 1/size²).</summary>
    public static FixedKernel BoxBlur(int size) => Make("box-blur", size, Enumerable.Repeat(1f / (size * size), size * size).ToArray());

    /// <summary>A Gaussian of standard deviation <paramref name="sigma"/> sampled at integer offsets and normalised to sum 1.</summary>
    public static FixedKernel Gaussian(double sigma, int size)
    {
        var weights = new double[size * size];
        int half = size / 2;
        double total = 0;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double dy = y - half, dx = x - half;
                total += weights[(y * size) + x] = Math.Exp(-((dx * dx) + (dy * dy)) / (2 * sigma * sigma));
            }
        }
        return Make("gaussian", size, weights.Select(w => (float)(w / total)).ToArray());
    }

    private static FixedKernel Gaussian(double sigma, JsonObject? arguments, string owner) =>
        Gaussian(sigma, Size(arguments, (2 * (int)Math.Ceiling(3 * sigma)) + 1, owner));

    private static FixedKernel Make(string name, int size, float[] weights) => new(name, size, size, weights);

    private static FixedKernel Given(JsonNode weights, string owner)
    {
        try
        {
            float[][] rows = weights.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray();
            if (rows.Length == 0 || rows[0].Length == 0 || rows.Any(r => r.Length != rows[0].Length) || rows.SelectMany(r => r).Any(v => !float.IsFinite(v)))
            {
                throw new ConfigurationException($"{owner}: \"weights\" must be a non-empty rectangular list of rows of finite numbers, got {weights.ToJsonString()}");
            }
            return new FixedKernel("weights", rows.Length, rows[0].Length, rows.SelectMany(r => r).ToArray());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new ConfigurationException($"{owner}: \"weights\" must be a list of rows of numbers, got {weights.ToJsonString()}", e);
        }
    }

    private static int Size(JsonObject? arguments, int fallback, string owner)
    {
        if (arguments?["size"] is not JsonNode node)
        {
            return fallback;
        }
        return node is JsonValue v && v.TryGetValue(out int size) && size >= 1 && size % 2 == 1
            ? size
            : throw new ConfigurationException($"{owner}: kernel size must be an odd integer ≥ 1, got {node.ToJsonString()}");
    }

    private static double Sigma(JsonObject? arguments, string owner)
    {
        if (arguments?["sigma"] is not JsonNode node)
        {
            return 1.0;
        }
        return node is JsonValue v && v.TryGetValue(out double sigma) && sigma > 0 && double.IsFinite(sigma)
            ? sigma
            : throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"{owner}: sigma must be a number > 0, got {node.ToJsonString()}"));
    }
}
