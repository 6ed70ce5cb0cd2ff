using System.Text.Json;

namespace Engine.Layers.Standard;

/// <summary>
/// The <c>padding</c> argument of a windowed layer: an integer (every axis), an array of one
/// integer per axis (zeros before and after), <c>"valid"</c> (none) or <c>"same"</c> (output =
/// ⌈input / stride⌉, the odd zero after, see <see cref="ConvolutionGeometry.SamePadding"/>).
/// </summary>
internal sealed class WindowPadding
{
    private readonly int[]? _explicit;

    private WindowPadding(int[]? explicitPadding) => _explicit = explicitPadding;

    /// <summary>Whether the padding depends on the input size ("same").</summary>
    public bool IsSame => _explicit is null;

    /// <summary>Reads the argument <paramref name="name"/> (default: none) for <paramref name="rank"/> spatial axes.</summary>
    public static WindowPadding Parse(ComponentArguments args, string name, int rank)
    {
        if (args.KindOf(name) != JsonValueKind.String)
        {
            return new WindowPadding(args.GetInts(name, rank, new int[rank], min: 0));
        }
        return args.GetString(name) switch
        {
            "valid" => new WindowPadding(new int[rank]),
            "same" => new WindowPadding(null),
            string other => throw new ConfigurationException($"{args.Owner}: argument '{name}' is \"{other}\"; expected an integer, an array of {rank} integers, \"valid\" or \"same\""),
        };
    }

    /// <summary>The window geometry for a per-sample input C×spatial.</summary>
    public ConvolutionGeometry Geometry(Shape input, int[] kernel, int[] stride)
    {
        int rank = kernel.Length;
        var before = new int[rank];
        var after = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            (before[i], after[i]) = _explicit is null
                ? ConvolutionGeometry.SamePadding(input[i + 1], kernel[i], stride[i], 1)
                : (_explicit[i], _explicit[i]);
        }
        return new ConvolutionGeometry(kernel, stride, before, after, Enumerable.Repeat(1, rank).ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => _explicit is null ? "same" : string.Join('x', _explicit);
}
