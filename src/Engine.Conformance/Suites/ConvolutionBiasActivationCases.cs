namespace Engine.Conformance;

/// <summary>
/// ConvolutionForwardBiasActivation, y = f(x ∗ w + bias[k]): a convolution layer's training forward
/// pass together with the activation layer after it, which a GPU backend runs as one fused call
/// (cudnnConvolutionBiasActivationForward). Checked against <see cref="ReferenceConvolution"/> and
/// the formula in double, with and without a bias, with ReLU (the one a fused call takes), none and
/// sigmoid, over the epilogue cases' geometries (<see cref="ConvolutionEpilogueCases.Problems"/>).
/// y starts as NaN.
/// </summary>
internal static class ConvolutionBiasActivationCases
{
    private static readonly Activation?[] Activations = [Activation.Relu, null, Activation.Sigmoid];

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (ConvolutionEpilogueCases.Problem p in ConvolutionEpilogueCases.Problems)
            {
                foreach (Activation? activation in Activations)
                {
                    foreach (bool withBias in new[] { true, false })
                    {
                        var d = new OpDescriptor(BackendOp.Convolution, type) { Convolution = p.Geometry, Shape = p.Input, Activation = activation };
                        string bias = withBias ? "bias" : "no bias";
                        yield return KitCase.Of($"{d} filters {p.Filters} with {bias} and activation", d, c => Run(c, p, withBias, activation));
                    }
                }
            }
        }
    }

    private static void Run(CaseContext c, ConvolutionEpilogueCases.Problem p, bool withBias, Activation? activation)
    {
        ConvolutionGeometry g = p.Geometry;
        Shape yShape = ReferenceConvolution.OutputShape(g, p.Input, p.Filters);
        Shape wShape = ReferenceConvolution.WeightShape(g, p.Input, p.Filters);
        double[] xv = c.Random(p.Input.ElementCount, 31), wv = c.Random(wShape.ElementCount, 32), bv = c.Random(p.Filters, 33);
        double[] product = ReferenceConvolution.Forward(g, p.Input, xv, wShape, wv);
        long spatial = yShape.ElementCount / (yShape[0] * p.Filters);
        double[] expected = product.Select((v, i) =>
        {
            double z = withBias ? v + bv[(int)(i / spatial % p.Filters)] : v;
            return activation is { } f ? ActivationCases.Reference(f, 0, z) : z;
        }).ToArray();
        Tensor x = c.Upload(p.Input, xv), w = c.Upload(wShape, wv);
        Tensor? b = withBias ? c.Upload(new Shape(p.Filters), bv) : null;
        Tensor y = c.Garbage(yShape);
        c.Backend.ConvolutionForwardBiasActivation(g, x, w, b, y, activation);
        c.Close(expected, y, "y");
    }
}
