namespace Engine.Conformance;

/// <summary>
/// ChannelAffine, y = f(scale[c]·x + shift[c]): the epilogue an inference pass runs on a convolution's
/// output in place of its bias, batch normalisation and activation. Checked against the formula in
/// double, with every activation, on planes shorter and longer than a vector and on dense rows, both
/// into another tensor and in place.
/// </summary>
internal static class ChannelAffineCases
{
    private static readonly (Activation? Activation, double Alpha)[] Epilogues =
    [
        (null, 0), (Activation.Relu, 0), (Activation.LeakyRelu, 0.1), (Activation.Elu, 0.7), (Activation.Sigmoid, 0), (Activation.Tanh, 0),
    ];

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (Shape shape in new[] { new Shape(3, 4, 5, 3), new Shape(2, 3, 41), new Shape(6, 11) })
            {
                foreach ((Activation? activation, double alpha) in Epilogues)
                {
                    var op = new OpDescriptor(BackendOp.ChannelAffine, type) { Shape = shape, Activation = activation };
                    yield return KitCase.Of($"{op} {(activation is null ? "no activation" : $"α {alpha}")}", op, c => Affine(c, shape, activation, alpha));
                }
            }
        }
    }

    private static void Affine(CaseContext c, Shape shape, Activation? activation, double alpha)
    {
        int n = shape[0], channels = shape[1], spatial = (int)(shape.ElementCount / (n * channels));
        double[] x = c.Random(shape.ElementCount, 81), scale = c.Random(channels, 82), shift = c.Random(channels, 83);
        double[] expected = x.Select((v, i) =>
        {
            int channel = i / spatial % channels;
            double affine = scale[channel] * v + shift[channel];
            return activation is { } f ? ActivationCases.Reference(f, alpha, affine) : affine;
        }).ToArray();
        Tensor tx = c.Upload(shape, x), ts = c.Upload(new Shape(channels), scale), tb = c.Upload(new Shape(channels), shift), ty = c.Garbage(shape);
        c.Backend.ChannelAffine(tx, ts, tb, ty, activation, alpha);
        c.Close(expected, ty, "y");
        c.Backend.ChannelAffine(tx, ts, tb, tx, activation, alpha);
        c.Close(expected, tx, "y in place");
    }
}
