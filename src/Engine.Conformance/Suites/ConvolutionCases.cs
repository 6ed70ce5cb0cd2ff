namespace Engine.Conformance;

/// <summary>
/// Convolution (forward, backward data, backward filter) and locally connected ops against
/// <see cref="ReferenceConvolution"/>, over 1 to 3 spatial axes, stride, asymmetric padding,
/// dilation, groups and depthwise. Outputs start as NaN, so accumulating instead of overwriting fails.
/// </summary>
internal static class ConvolutionCases
{
    private sealed record Problem(Shape Input, int Filters, ConvolutionGeometry Geometry);

    private static ConvolutionGeometry Geometry(int[] kernel, int[]? stride = null, int[]? padBefore = null, int[]? padAfter = null, int[]? dilation = null, int groups = 1)
    {
        int[] ones = kernel.Select(_ => 1).ToArray(), zeros = new int[kernel.Length];
        return new ConvolutionGeometry(kernel, stride ?? ones, padBefore ?? zeros, padAfter ?? padBefore ?? zeros, dilation ?? ones, groups);
    }

    private static readonly Problem[] Convolutions =
    [
        new(new Shape(2, 3, 7, 6), 4, Geometry([3, 3], padBefore: [1, 1])),
        new(new Shape(2, 2, 9, 8), 3, Geometry([3, 2], [2, 2], [0, 1], [2, 0], [2, 1])),
        new(new Shape(1, 4, 5, 7), 6, Geometry([3, 3], [1, 2], [1, 0], [1, 1], groups: 2)),
        new(new Shape(2, 3, 6, 5), 6, Geometry([3, 3], [2, 1], [1, 1], [1, 1], groups: 3)),
        new(new Shape(2, 5, 4, 3), 3, Geometry([1, 1])),
        new(new Shape(2, 5, 4, 3), 5, Geometry([1, 1], groups: 5)),
        new(new Shape(1, 3, 5, 5), 2, Geometry([1, 1], [2, 2])),
        new(new Shape(1, 2, 2, 3), 2, Geometry([5, 5], padBefore: [2, 2])),
        new(new Shape(2, 3, 12, 11), 2, Geometry([5, 5], padBefore: [2, 2])),
        new(new Shape(2, 2, 11), 3, Geometry([4], [3], [2], [1], [2])),
        new(new Shape(3, 4, 9), 2, Geometry([3], groups: 2)),
        new(new Shape(1, 2, 4, 5, 3), 3, Geometry([2, 3, 2], [1, 2, 1], [1, 0, 1], [0, 1, 1], [1, 1, 2])),
        new(new Shape(2, 2, 3, 4, 4), 2, Geometry([3, 3, 3], [1, 1, 2], [1, 1, 1], [1, 1, 1], groups: 2)),
    ];

    private static readonly Problem[] LocallyConnected =
    [
        new(new Shape(2, 3, 5, 4), 2, Geometry([3, 3])),
        new(new Shape(3, 2, 6, 5), 4, Geometry([2, 3], [2, 2], [1, 0], [0, 2])),
        new(new Shape(1, 4, 3, 3), 3, Geometry([1, 1])),
        new(new Shape(2, 1, 7, 6), 2, Geometry([2, 2], dilation: [2, 2])),
    ];

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (Problem p in Convolutions)
            {
                var d = new OpDescriptor(BackendOp.Convolution, type) { Convolution = p.Geometry, Shape = p.Input };
                yield return KitCase.Of($"{d} filters {p.Filters}", d, c => Convolution(c, p));
            }
            foreach (Problem p in LocallyConnected)
            {
                var d = new OpDescriptor(BackendOp.LocallyConnected, type) { Convolution = p.Geometry, Shape = p.Input };
                yield return KitCase.Of($"{d} filters {p.Filters}", d, c => Locally(c, p));
            }
            // Scratch memory sized for one problem must not be reused too small for the next: small,
            // large, small, large on one backend instance, with the other data type in between (a
            // cached buffer sized in elements of one type would be too small for the other).
            var sequence = new OpDescriptor(BackendOp.Convolution, type) { Convolution = Convolutions[8].Geometry, Shape = Convolutions[8].Input };
            yield return KitCase.Of($"{sequence} after smaller and larger problems in both types", sequence, c =>
            {
                DataType otherType = type == DataType.Float32 ? DataType.Float64 : DataType.Float32;
                double otherTolerance = otherType == DataType.Float32 ? c.Traits.Float32Tolerance : c.Traits.Float64Tolerance;
                using var other = new CaseContext(c.Backend, otherType, otherTolerance, c.Traits);
                foreach (Problem p in new[] { Convolutions[6], Convolutions[8], Convolutions[4], Convolutions[8], Convolutions[6] })
                {
                    foreach (CaseContext context in new[] { c, other })
                    {
                        if (c.Backend.Supports(new OpDescriptor(BackendOp.Convolution, context.Type) { Convolution = p.Geometry, Shape = p.Input }))
                        {
                            Convolution(context, p);
                        }
                    }
                }
            });
        }
    }

    private static void Convolution(CaseContext c, Problem p)
    {
        ConvolutionGeometry g = p.Geometry;
        Shape yShape = ReferenceConvolution.OutputShape(g, p.Input, p.Filters);
        Shape wShape = ReferenceConvolution.WeightShape(g, p.Input, p.Filters);
        double[] xv = c.Random(p.Input.ElementCount, 11), wv = c.Random(wShape.ElementCount, 12), dyv = c.Random(yShape.ElementCount, 13);
        Tensor x = c.Upload(p.Input, xv), w = c.Upload(wShape, wv), dy = c.Upload(yShape, dyv);
        Tensor y = c.Garbage(yShape), dx = c.Garbage(p.Input), dw = c.Garbage(wShape);
        c.Backend.ConvolutionForward(g, x, w, y);
        c.Close(ReferenceConvolution.Forward(g, p.Input, xv, wShape, wv), y, "forward y");
        c.Backend.ConvolutionBackwardData(g, dy, w, dx);
        c.Close(ReferenceConvolution.BackwardData(g, p.Input, wShape, wv, dyv), dx, "backward data dx");
        c.Backend.ConvolutionBackwardFilter(g, x, dy, dw);
        c.Close(ReferenceConvolution.BackwardFilter(g, p.Input, xv, wShape, dyv), dw, "backward filter dw");
    }

    private static void Locally(CaseContext c, Problem p)
    {
        ConvolutionGeometry g = p.Geometry;
        Shape yShape = ReferenceConvolution.OutputShape(g, p.Input, p.Filters);
        Shape wShape = ReferenceConvolution.LocallyConnectedWeightShape(g, p.Input, p.Filters);
        double[] xv = c.Random(p.Input.ElementCount, 1), wv = c.Random(wShape.ElementCount, 2), dyv = c.Random(yShape.ElementCount, 3);
        Tensor x = c.Upload(p.Input, xv), w = c.Upload(wShape, wv), dy = c.Upload(yShape, dyv);
        Tensor y = c.Garbage(yShape), dx = c.Garbage(p.Input), dw = c.Garbage(wShape);
        c.Backend.LocallyConnectedForward(g, x, w, y);
        c.Close(ReferenceConvolution.LocallyConnectedForward(g, p.Input, xv, p.Filters, wv), y, "forward y");
        c.Backend.LocallyConnectedBackwardData(g, dy, w, dx);
        c.Close(ReferenceConvolution.LocallyConnectedBackwardData(g, p.Input, p.Filters, wv, dyv), dx, "backward data dx");
        c.Backend.LocallyConnectedBackwardFilter(g, x, dy, dw);
        c.Close(ReferenceConvolution.LocallyConnectedBackwardFilter(g, p.Input, xv, p.Filters, dyv), dw, "backward filter dw");
    }
}
