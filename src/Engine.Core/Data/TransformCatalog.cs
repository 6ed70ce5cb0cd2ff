namespace Engine.Core;

/// <summary>
/// The transforms a pipeline spec can name, with their arguments in positional order (the order a
/// compact spec item lists them after <c>=</c>, separated by <c>:</c>).
/// </summary>
public static class TransformCatalog
{
    /// <summary>One transform: its name, its arguments in positional order, what it does, and how to build it.</summary>
    /// <param name="Name">Name in a spec.</param>
    /// <param name="Arguments">Argument names in positional order.</param>
    /// <param name="Description">One line: what it does and its arguments.</param>
    /// <param name="Create">Builds the transform from parsed arguments.</param>
    public sealed record Entry(string Name, string[] Arguments, string Description, Func<TransformArguments, SampleTransform> Create);

    /// <summary>Every transform, in the order listings show them.</summary>
    public static IReadOnlyList<Entry> Entries { get; } =
    [
        new("flip", ["p"], "horizontal flip with probability p (default 0.5)",
            a => new HorizontalFlip(a.Number("p", 0.5))),
        new("crop", ["padding"], "pad with zeros and crop back to the original size at a random place",
            a => new RandomCrop(a.Integer("padding"))),
        new("resized-crop", ["scale", "ratio"], "random area fraction scale=MIN/MAX (default 0.08/1) and aspect ratio=MIN/MAX (default 0.75/1.333), resized back",
            a =>
            {
                double[] s = a.List("scale", 2, 2, [0.08, 1]);
                double[] r = a.List("ratio", 2, 2, [0.75, 4.0 / 3]);
                return new RandomResizedCrop(s[0], s[1], r[0], r[1]);
            }),
        new("jitter", ["brightness", "contrast", "saturation"], "colour jitter strengths; contrast and saturation default to brightness",
            a =>
            {
                double b = a.Number("brightness", 0);
                return new ColorJitter(b, a.Number("contrast", b), a.Number("saturation", b));
            }),
        new("translate", ["fraction"], "random shift by up to fraction (or FX/FY) of the width and height",
            a =>
            {
                double[] f = a.List("fraction", 1, 2);
                return new RandomTranslation(f[0], f[^1]);
            }),
        new("rotate", ["degrees"], "random rotation by up to degrees either way",
            a => new RandomRotation(a.Number("degrees"))),
        new("shear", ["degrees"], "random horizontal shear by up to degrees either way",
            a => new RandomShear(a.Number("degrees"))),
        new("normalize", ["mean", "std"], "(x - mean) / std per channel (kept at evaluation)",
            a => new Normalization(a.List("mean", 1, int.MaxValue), a.List("std", 1, int.MaxValue))),
    ];

    /// <summary>The entry named <paramref name="name"/>.</summary>
    /// <exception cref="ConfigurationException">No transform has that name; the message lists the known ones.</exception>
    public static Entry Find(string name, string source) =>
        Entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ConfigurationException($"unknown augmentation '{name}' in '{source}'; known: {string.Join(", ", Entries.Select(e => e.Name))}");
}
