namespace Engine.Conformance;

/// <summary>
/// Max and average pooling (with and without padding counted) forward and backward against
/// <see cref="ReferencePooling"/>, and max-pool ties. A backend that declares
/// <see cref="MaxPoolTieRule.Any"/> has its max-pool gradient compared only on windows with a unique
/// maximum; on tied windows only the forward value and the total gradient (every dy goes somewhere) are checked.
/// </summary>
internal static class PoolingCases
{
    private static readonly (int[] X, int[] Kernel, int[] Stride, int[] Before, int[] After, int[] Dilation)[] Geometries =
    [
        ([2, 3, 6, 7], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1]),
        ([2, 2, 5, 19], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1]),
        ([2, 2, 7, 7], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1]),
        ([1, 2, 5, 6], [3, 2], [1, 2], [0, 1], [2, 0], [1, 1]),
        ([2, 3, 9], [3], [2], [1], [1], [1]),
        ([1, 2, 4, 5, 3], [2, 3, 2], [1, 2, 1], [1, 0, 0], [0, 1, 1], [1, 1, 1]),
        ([1, 2, 7, 7], [2, 2], [1, 2], [0, 1], [1, 1], [2, 2]),
        ([1, 1, 3, 3], [2, 2], [2, 2], [2, 2], [2, 2], [1, 1]),
    ];

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (var (xShape, kernel, stride, before, after, dilation) in Geometries)
            {
                var window = new ConvolutionGeometry(kernel, stride, before, after, dilation);
                foreach (PoolingGeometry geometry in new[]
                {
                    new PoolingGeometry(PoolingMode.Max, window),
                    new PoolingGeometry(PoolingMode.Average, window, CountIncludePad: false),
                    new PoolingGeometry(PoolingMode.Average, window, CountIncludePad: true),
                })
                {
                    var d = new OpDescriptor(BackendOp.Pooling, type) { Pooling = geometry, Shape = new Shape(xShape) };
                    yield return KitCase.Of(d.ToString(), d, c => Pooling(c, geometry, xShape));
                }
            }
            foreach (var window in new[]
            {
                new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]),
                new ConvolutionGeometry([3, 3], [2, 2], [1, 1], [1, 1], [1, 1]),
            })
            {
                var geometry = new PoolingGeometry(PoolingMode.Max, window);
                var d = new OpDescriptor(BackendOp.Pooling, type) { Pooling = geometry, Shape = new Shape(3, 2, 8, 21) };
                yield return KitCase.Of($"{d} with ties", d, c => Ties(c, geometry, [3, 2, 8, 21]));
            }
        }
    }

    private static void Pooling(CaseContext c, PoolingGeometry geometry, int[] xShape)
    {
        int[] yShape = ReferencePooling.OutputShape(geometry.Window, xShape);
        double[] x = c.Random(xShape.Aggregate(1, (a, b) => a * b), 7), dy = c.Random(yShape.Aggregate(1, (a, b) => a * b), 8);
        Tensor tx = c.Upload(new Shape(xShape), x), ty = c.Garbage(new Shape(yShape));
        Tensor tdy = c.Upload(new Shape(yShape), dy), tdx = c.Garbage(new Shape(xShape));
        c.Backend.PoolingForward(geometry, tx, ty);
        c.Close(ReferencePooling.Forward(geometry, xShape, x), ty, "forward y");
        c.Backend.PoolingBackward(geometry, tx, ty, tdy, tdx);
        c.Close(ReferencePooling.Backward(geometry, xShape, x, dy), tdx, "backward dx");
    }

    // Values from {0, 1, 2}: most windows hold ties, in every position.
    private static void Ties(CaseContext c, PoolingGeometry geometry, int[] xShape)
    {
        int[] yShape = ReferencePooling.OutputShape(geometry.Window, xShape);
        double[] x = Enumerable.Range(0, xShape.Aggregate(1, (a, b) => a * b)).Select(i => Math.Floor(3 * CounterRandom.Uniform(5, (ulong)i))).ToArray();
        double[] dy = c.Random(yShape.Aggregate(1, (a, b) => a * b), 6);
        Tensor tx = c.Upload(new Shape(xShape), x), ty = c.Garbage(new Shape(yShape));
        Tensor tdy = c.Upload(new Shape(yShape), dy), tdx = c.Garbage(new Shape(xShape));
        c.Backend.PoolingForward(geometry, tx, ty);
        CaseContext.Exact(ReferencePooling.Forward(geometry, xShape, x), ty, "forward y");
        c.Backend.PoolingBackward(geometry, tx, ty, tdy, tdx);
        if (c.Traits.MaxPoolTies == MaxPoolTieRule.FirstIndex)
        {
            c.Close(ReferencePooling.Backward(geometry, xShape, x, dy), tdx, "backward dx (ties to the first maximum)");
        }
        else
        {
            c.Close([dy.Sum()], [CaseContext.Download(tdx).Sum()], "backward Σdx = Σdy (ties to any maximum)");
        }
    }
}
