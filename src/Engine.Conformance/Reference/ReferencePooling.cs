namespace Engine.Conformance;

/// <summary>
/// Plain float64 pooling, written for clarity: every window tap is visited, taps in the padding are
/// skipped. Shapes are N×C×spatial; the conventions are those documented on
/// <see cref="PoolingMode"/> and <see cref="PoolingGeometry"/> (first maximum in scan order, padding
/// never a maximum, an all-padding window gives 0).
/// </summary>
internal static class ReferencePooling
{
    /// <summary>The output shape N×C×out spatial.</summary>
    public static int[] OutputShape(ConvolutionGeometry g, int[] x)
    {
        int[] y = (int[])x.Clone();
        for (int a = 0; a < g.SpatialRank; a++)
        {
            y[a + 2] = ConvolutionGeometry.OutputSize(x[a + 2], g.Kernel[a], g.Stride[a], g.PadBefore[a], g.PadAfter[a], g.Dilation[a]);
        }
        return y;
    }

    public static double[] Forward(PoolingGeometry p, int[] xShape, double[] x)
    {
        int[] yShape = OutputShape(p.Window, xShape);
        var y = new double[Volume(yShape)];
        Visit(p, xShape, yShape, (yIndex, taps) =>
        {
            if (taps.Count == 0)
            {
                return;
            }
            y[yIndex] = p.Mode == PoolingMode.Max
                ? x[taps[ArgMax(x, taps)]]
                : taps.Sum(t => x[t]) / (p.CountIncludePad ? p.Window.KernelVolume : taps.Count);
        });
        return y;
    }

    public static double[] Backward(PoolingGeometry p, int[] xShape, double[] x, double[] dy)
    {
        int[] yShape = OutputShape(p.Window, xShape);
        var dx = new double[x.Length];
        Visit(p, xShape, yShape, (yIndex, taps) =>
        {
            if (taps.Count == 0)
            {
                return;
            }
            if (p.Mode == PoolingMode.Max)
            {
                dx[taps[ArgMax(x, taps)]] += dy[yIndex];
                return;
            }
            foreach (int t in taps)
            {
                dx[t] += dy[yIndex] / (p.CountIncludePad ? p.Window.KernelVolume : taps.Count);
            }
        });
        return dx;
    }

    private static int ArgMax(double[] x, List<int> taps)
    {
        int best = 0;
        for (int i = 1; i < taps.Count; i++)
        {
            if (x[taps[i]] > x[taps[best]])
            {
                best = i;
            }
        }
        return best;
    }

    /// <summary>Calls <paramref name="window"/> with each output's flat index and the flat input indices of its real taps, in scan order.</summary>
    private static void Visit(PoolingGeometry p, int[] xShape, int[] yShape, Action<int, List<int>> window)
    {
        ConvolutionGeometry g = p.Window;
        int rank = g.SpatialRank;
        int[] outSpatial = yShape[2..], kernel = [.. g.Kernel];
        var taps = new List<int>();
        int yIndex = 0;
        for (int n = 0; n < xShape[0]; n++)
        {
            for (int c = 0; c < xShape[1]; c++)
            {
                foreach (int[] o in Indices(outSpatial))
                {
                    taps.Clear();
                    foreach (int[] k in Indices(kernel))
                    {
                        int flat = (n * xShape[1]) + c;
                        bool inside = true;
                        for (int a = 0; a < rank; a++)
                        {
                            int coordinate = (o[a] * g.Stride[a]) - g.PadBefore[a] + (k[a] * g.Dilation[a]);
                            inside &= coordinate >= 0 && coordinate < xShape[a + 2];
                            flat = (flat * xShape[a + 2]) + coordinate;
                        }
                        if (inside)
                        {
                            taps.Add(flat);
                        }
                    }
                    window(yIndex++, taps);
                }
            }
        }
    }

    /// <summary>Every multi-index of a box, last axis fastest.</summary>
    private static IEnumerable<int[]> Indices(int[] extent)
    {
        var index = new int[extent.Length];
        if (extent.Any(e => e == 0))
        {
            yield break;
        }
        while (true)
        {
            yield return (int[])index.Clone();
            int a = extent.Length - 1;
            while (a >= 0 && ++index[a] == extent[a])
            {
                index[a--] = 0;
            }
            if (a < 0)
            {
                yield break;
            }
        }
    }

    private static int Volume(int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}
