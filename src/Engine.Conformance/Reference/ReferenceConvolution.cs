namespace Engine.Conformance;

/// <summary>
/// Plain float64 convolution and locally connected layers, written straight from the definition
/// with nested loops over every (sample, filter, output position, input channel, tap) for 1 to 3
/// spatial axes: y[n, k, o] = Σ over c in k's group and taps t of x[n, c, o·s − pad + t·d]·w[k, c, t],
/// taps landing in the padding contribute nothing. Slow and obviously right; the backends are
/// compared with it.
/// </summary>
internal static class ReferenceConvolution
{
    /// <summary>y (N×K×out) of a convolution.</summary>
    public static double[] Forward(ConvolutionGeometry g, Shape x, double[] xv, Shape w, double[] wv)
    {
        var y = new double[OutputShape(g, x, w[0]).ElementCount];
        Visit(g, x, w[0], locallyConnected: false, (xi, wi, yi) => y[yi] += xv[xi] * wv[wi]);
        return y;
    }

    /// <summary>dx (N×C×in) of a convolution.</summary>
    public static double[] BackwardData(ConvolutionGeometry g, Shape x, Shape w, double[] wv, double[] dy)
    {
        var dx = new double[x.ElementCount];
        Visit(g, x, w[0], locallyConnected: false, (xi, wi, yi) => dx[xi] += dy[yi] * wv[wi]);
        return dx;
    }

    /// <summary>dw (K×C/groups×kernel) of a convolution.</summary>
    public static double[] BackwardFilter(ConvolutionGeometry g, Shape x, double[] xv, Shape w, double[] dy)
    {
        var dw = new double[w.ElementCount];
        Visit(g, x, w[0], locallyConnected: false, (xi, wi, yi) => dw[wi] += dy[yi] * xv[xi]);
        return dw;
    }

    /// <summary>y of a locally connected layer with K filters per position (w is P×K×C·kh·kw).</summary>
    public static double[] LocallyConnectedForward(ConvolutionGeometry g, Shape x, double[] xv, int filters, double[] wv)
    {
        var y = new double[OutputShape(g, x, filters).ElementCount];
        Visit(g, x, filters, locallyConnected: true, (xi, wi, yi) => y[yi] += xv[xi] * wv[wi]);
        return y;
    }

    /// <summary>dx of a locally connected layer.</summary>
    public static double[] LocallyConnectedBackwardData(ConvolutionGeometry g, Shape x, int filters, double[] wv, double[] dy)
    {
        var dx = new double[x.ElementCount];
        Visit(g, x, filters, locallyConnected: true, (xi, wi, yi) => dx[xi] += dy[yi] * wv[wi]);
        return dx;
    }

    /// <summary>dw of a locally connected layer.</summary>
    public static double[] LocallyConnectedBackwardFilter(ConvolutionGeometry g, Shape x, double[] xv, int filters, double[] dy)
    {
        var dw = new double[LocallyConnectedWeightShape(g, x, filters).ElementCount];
        Visit(g, x, filters, locallyConnected: true, (xi, wi, yi) => dw[wi] += dy[yi] * xv[xi]);
        return dw;
    }

    /// <summary>N×K×out for input x.</summary>
    public static Shape OutputShape(ConvolutionGeometry g, Shape x, int filters) =>
        g.OutputShape(x.WithoutBatch(), filters).WithBatch(x[0]);

    /// <summary>K×C/groups×kernel.</summary>
    public static Shape WeightShape(ConvolutionGeometry g, Shape x, int filters) =>
        new([filters, x[1] / g.Groups, .. g.Kernel]);

    /// <summary>P×K×(C·kh·kw) with P the output positions.</summary>
    public static Shape LocallyConnectedWeightShape(ConvolutionGeometry g, Shape x, int filters)
    {
        Shape y = OutputShape(g, x, filters);
        return new Shape(y[2] * y[3], filters, x[1] * g.KernelVolume);
    }

    /// <summary>
    /// Calls <paramref name="term"/> with the flat indices (x, w, y) of every product x·w that the
    /// definition adds into y; taps in the padding are skipped.
    /// </summary>
    private static void Visit(ConvolutionGeometry g, Shape xShape, int filters, bool locallyConnected, Action<int, int, int> term)
    {
        int rank = g.SpatialRank, batch = xShape[0], channels = xShape[1];
        int[] input = xShape.Skip(2).ToArray();
        int[] output = OutputShape(g, xShape, filters).Skip(2).ToArray();
        int[] kernel = g.Kernel.ToArray();
        int perGroupIn = channels / g.Groups, perGroupOut = filters / g.Groups;
        int positions = output.Aggregate(1, (a, b) => a * b), taps = kernel.Aggregate(1, (a, b) => a * b);
        var at = new int[rank];
        for (int n = 0; n < batch; n++)
        {
            for (int k = 0; k < filters; k++)
            {
                int group = k / perGroupOut;
                for (int o = 0; o < positions; o++)
                {
                    int[] outIndex = Unflatten(o, output);
                    for (int cl = 0; cl < perGroupIn; cl++)
                    {
                        int c = group * perGroupIn + cl;
                        for (int t = 0; t < taps; t++)
                        {
                            int[] tap = Unflatten(t, kernel);
                            bool inside = true;
                            for (int a = 0; a < rank; a++)
                            {
                                at[a] = outIndex[a] * g.Stride[a] - g.PadBefore[a] + tap[a] * g.Dilation[a];
                                inside &= at[a] >= 0 && at[a] < input[a];
                            }
                            if (!inside)
                            {
                                continue;
                            }
                            int xi = (n * channels + c) * Volume(input) + Flatten(at, input);
                            int yi = (n * filters + k) * positions + o;
                            int wi = locallyConnected
                                ? (o * filters + k) * channels * taps + c * taps + t
                                : (k * perGroupIn + cl) * taps + t;
                            term(xi, wi, yi);
                        }
                    }
                }
            }
        }
    }

    private static int Volume(int[] dims) => dims.Aggregate(1, (a, b) => a * b);

    private static int Flatten(int[] index, int[] dims)
    {
        int flat = 0;
        for (int a = 0; a < dims.Length; a++)
        {
            flat = flat * dims[a] + index[a];
        }
        return flat;
    }

    private static int[] Unflatten(int flat, int[] dims)
    {
        var index = new int[dims.Length];
        for (int a = dims.Length - 1; a >= 0; a--)
        {
            index[a] = flat % dims[a];
            flat /= dims[a];
        }
        return index;
    }
}
