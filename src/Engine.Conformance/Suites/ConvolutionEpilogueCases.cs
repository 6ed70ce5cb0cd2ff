namespace Engine.Conformance;

/// <summary>
/// ConvolutionForwardWithEpilogue, y = f(scale[k]·(x ∗ w) + shift[k]): the convolution an inference
/// pass finishes in place of its bias, batch normalisation and activation, which a GPU backend may
/// run as one fused call. Checked against <see cref="ReferenceConvolution"/> and the formula in
/// double, with no activation, ReLU (the two a fused call can take) and leaky ReLU, over symmetric and
/// asymmetric padding, stride, dilation, groups and 1 to 3 spatial axes. y starts as NaN.
/// </summary>
internal static class ConvolutionEpilogueCases
{
    /// <summary>One convolution problem: input shape, filter count and geometry.</summary>
    internal sealed record Problem(Shape Input, int Filters, ConvolutionGeometry Geometry);

    /// <summary>The geometries, shared with <see cref="ConvolutionBiasActivationCases"/>.</summary>
    internal static readonly Problem[] Problems =
    [
        new(new Shape(2, 3, 7, 6), 4, new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1], 1)),
        new(new Shape(2, 4, 5, 5), 6, new ConvolutionGeometry([1, 1], [2, 2], [0, 0], [0, 0], [1, 1], 1)),
        new(new Shape(1, 4, 6, 7), 6, new ConvolutionGeometry([3, 3], [1, 2], [1, 1], [1, 1], [2, 1], 2)),
        new(new Shape(2, 2, 9, 8), 3, new ConvolutionGeometry([3, 2], [2, 2], [0, 1], [2, 0], [2, 1], 1)),
        new(new Shape(3, 4, 9), 2, new ConvolutionGeometry([3], [1], [1], [1], [1], 2)),
        new(new Shape(1, 2, 4, 5, 3), 3, new ConvolutionGeometry([2, 3, 2], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1], 1)),
    ];

    private static readonly (Activation? Activation, double Alpha)[] Epilogues = [(null, 0), (Activation.Relu, 0), (Activation.LeakyRelu, 0.1)];

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (Problem p in Problems)
            {
                foreach ((Activation? activation, double alpha) in Epilogues)
                {
                    var d = new OpDescriptor(BackendOp.Convolution, type) { Convolution = p.Geometry, Shape = p.Input, Activation = activation };
                    // The descriptor names the activation (none: no name).
                    yield return KitCase.Of($"{d} filters {p.Filters} with epilogue", d, c => Epilogue(c, p, activation, alpha));
                }
            }
        }
    }

    private static void Epilogue(CaseContext c, Problem p, Activation? activation, double alpha)
    {
        ConvolutionGeometry g = p.Geometry;
        Shape yShape = ReferenceConvolution.OutputShape(g, p.Input, p.Filters);
        Shape wShape = ReferenceConvolution.WeightShape(g, p.Input, p.Filters);
        double[] xv = c.Random(p.Input.ElementCount, 21), wv = c.Random(wShape.ElementCount, 22);
        double[] scale = c.Random(p.Filters, 23), shift = c.Random(p.Filters, 24);
        double[] product = ReferenceConvolution.Forward(g, p.Input, xv, wShape, wv);
        long spatial = yShape.ElementCount / (yShape[0] * p.Filters);
        double[] expected = product.Select((v, i) =>
        {
            int k = (int)(i / spatial % p.Filters);
            double affine = scale[k] * v + shift[k];
            return activation is { } f ? ActivationCases.Reference(f, alpha, affine) : affine;
        }).ToArray();
        Tensor x = c.Upload(p.Input, xv), w = c.Upload(wShape, wv), ts = c.Upload(new Shape(p.Filters), scale), tb = c.Upload(new Shape(p.Filters), shift);
        Tensor y = c.Garbage(yShape);
        c.Backend.ConvolutionForwardWithEpilogue(g, x, w, y, ts, tb, activation, alpha);
        c.Close(expected, y, "y");
    }
}
