namespace Engine.Conformance;

/// <summary>
/// Plain float64 batch normalisation and local response normalisation, straight from the formulas,
/// on N×C×S data (S = product of the spatial sizes, 1 for N×C).
/// </summary>
internal static class ReferenceNormalization
{
    /// <summary>Training-mode statistics of channel c: mean and biased variance over N and S.</summary>
    public static (double Mean, double Variance) Statistics(double[] x, int n, int c, int s, int channel)
    {
        var values = ChannelValues(x, n, c, s, channel).ToArray();
        double mean = values.Average();
        return (mean, values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }

    /// <summary>y = γ(x − mean)/√(var + ε) + β with the given per-channel mean and variance.</summary>
    public static double[] Normalize(double[] x, int n, int c, int s, double[] mean, double[] variance, double[] gamma, double[] beta, double epsilon)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / s % c;
            y[i] = (gamma[ch] * (x[i] - mean[ch]) / Math.Sqrt(variance[ch] + epsilon)) + beta[ch];
        }
        return y;
    }

    /// <summary>dx, dγ, dβ of training-mode batch normalisation.</summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) BatchNormBackward(double[] x, double[] dy, int n, int c, int s, double[] gamma, double epsilon)
    {
        var dx = new double[x.Length];
        var dGamma = new double[c];
        var dBeta = new double[c];
        int m = n * s;
        for (int ch = 0; ch < c; ch++)
        {
            (double mean, double variance) = Statistics(x, n, c, s, ch);
            double invStd = 1 / Math.Sqrt(variance + epsilon);
            int[] at = ChannelIndices(n, c, s, ch).ToArray();
            dBeta[ch] = at.Sum(i => dy[i]);
            dGamma[ch] = at.Sum(i => dy[i] * (x[i] - mean) * invStd);
            foreach (int i in at)
            {
                double xHat = (x[i] - mean) * invStd;
                dx[i] = gamma[ch] * invStd / m * ((m * dy[i]) - dBeta[ch] - (xHat * dGamma[ch]));
            }
        }
        return (dx, dGamma, dBeta);
    }

    /// <summary>The channels j whose sum of squares enters channel c: c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋, clipped.</summary>
    public static IEnumerable<int> LrnWindow(int c, int channels, int size) =>
        Enumerable.Range(c - (size / 2), size).Where(j => j >= 0 && j < channels);

    /// <summary>y and the scale k + α/n·Σ x_j² of local response normalisation.</summary>
    public static (double[] Y, double[] Scale) LrnForward(LrnParameters p, double[] x, int n, int c, int s)
    {
        var y = new double[x.Length];
        var scale = new double[x.Length];
        for (int i = 0; i < n; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int k = 0; k < s; k++)
                {
                    int at = (((i * c) + ch) * s) + k;
                    double sum = LrnWindow(ch, c, p.Size).Sum(j => Math.Pow(x[(((i * c) + j) * s) + k], 2));
                    scale[at] = p.K + (p.Alpha / p.Size * sum);
                    y[at] = x[at] * Math.Pow(scale[at], -p.Beta);
                }
            }
        }
        return (y, scale);
    }

    /// <summary>dx of local response normalisation by the chain rule over every output channel.</summary>
    public static double[] LrnBackward(LrnParameters p, double[] x, double[] dy, int n, int c, int s)
    {
        (double[] y, double[] scale) = LrnForward(p, x, n, c, s);
        var dx = new double[x.Length];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < s; k++)
            {
                for (int outCh = 0; outCh < c; outCh++)
                {
                    int o = (((i * c) + outCh) * s) + k;
                    // ∂y_o/∂x_o through the numerator.
                    dx[o] += dy[o] * Math.Pow(scale[o], -p.Beta);
                    // ∂y_o/∂x_j through the scale, for every j in the window of o.
                    foreach (int j in LrnWindow(outCh, c, p.Size))
                    {
                        int at = (((i * c) + j) * s) + k;
                        dx[at] -= dy[o] * y[o] * p.Beta / scale[o] * (p.Alpha / p.Size) * 2 * x[at];
                    }
                }
            }
        }
        return dx;
    }

    private static IEnumerable<int> ChannelIndices(int n, int c, int s, int channel) =>
        Enumerable.Range(0, n).SelectMany(i => Enumerable.Range((((i * c) + channel) * s), s));

    private static IEnumerable<double> ChannelValues(double[] x, int n, int c, int s, int channel) =>
        ChannelIndices(n, c, s, channel).Select(i => x[i]);
}
