namespace Engine.Conformance;

/// <summary>Sum, per-channel sums and bias, softmax and its gradient.</summary>
internal static class ReductionCases
{
    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (Shape shape in new[] { new Shape(7), new Shape(3, 37, 29) })
            {
                var sum = new OpDescriptor(BackendOp.Sum, type) { Shape = shape };
                yield return KitCase.Of(sum.ToString(), sum, c => Sum(c, shape));
            }
            foreach (Shape shape in new[] { new Shape(3, 4, 5, 3), new Shape(6, 11) })
            {
                var channelSum = new OpDescriptor(BackendOp.ChannelSum, type) { Shape = shape };
                yield return KitCase.Of(channelSum.ToString(), channelSum, c => SumChannels(c, shape));
                var bias = new OpDescriptor(BackendOp.ChannelBias, type) { Shape = shape };
                yield return KitCase.Of(bias.ToString(), bias, c => AddChannelBias(c, shape));
            }
            foreach (Shape shape in new[] { new Shape(5, 10), new Shape(4, 2, 150) })
            {
                var softmax = new OpDescriptor(BackendOp.Softmax, type) { Shape = shape };
                yield return KitCase.Of(softmax.ToString(), softmax, c => Softmax(c, shape));
                var backward = new OpDescriptor(BackendOp.SoftmaxBackward, type) { Shape = shape };
                yield return KitCase.Of(backward.ToString(), backward, c => SoftmaxBackward(c, shape));
            }
        }
    }

    // Positive values: a sum of mixed signs cancels, and then no relative bound holds in float32.
    private static double[] Positive(CaseContext c, long count, ulong seed) => c.Round(c.Random(count, seed).Select(v => Math.Abs(v) + 0.1).ToArray());

    private static void Sum(CaseContext c, Shape shape)
    {
        double[] x = Positive(c, shape.ElementCount, 41);
        Tensor tx = c.Upload(shape, x), result = c.Garbage(new Shape(1));
        c.Backend.Sum(tx, result);
        c.Close([x.Sum()], result, "Σx");
    }

    private static (int N, int C, int S) Split(Shape shape) =>
        (shape[0], shape[1], (int)(shape.ElementCount / (shape[0] * shape[1])));

    private static void SumChannels(CaseContext c, Shape shape)
    {
        var (n, channels, s) = Split(shape);
        double[] x = Positive(c, shape.ElementCount, 42), old = Positive(c, channels, 43);
        double[] sums = new double[channels];
        for (int i = 0; i < x.Length; i++)
        {
            sums[(i / s) % channels] += x[i];
        }
        Tensor tx = c.Upload(shape, x), fresh = c.Garbage(new Shape(channels)), accumulated = c.Upload(new Shape(channels), old);
        c.Backend.SumChannels(tx, fresh);
        c.Close(sums, fresh, "β = 0 (over NaN)");
        c.Backend.SumChannels(tx, accumulated, 0.5);
        c.Close(sums.Select((v, i) => v + (0.5 * old[i])).ToArray(), accumulated, "β = 0.5");
    }

    private static void AddChannelBias(CaseContext c, Shape shape)
    {
        var (_, channels, s) = Split(shape);
        double[] y = c.Random(shape.ElementCount, 44), bias = c.Random(channels, 45);
        Tensor ty = c.Upload(shape, y), tb = c.Upload(new Shape(channels), bias);
        c.Backend.AddChannelBias(ty, tb);
        c.Close(y.Select((v, i) => v + bias[(i / s) % channels]).ToArray(), ty, "y + bias");
    }

    private static double[] SoftmaxRows(double[] z, int rows, int columns, bool log)
    {
        var y = new double[z.Length];
        for (int r = 0; r < rows; r++)
        {
            var row = new Range(r * columns, (r + 1) * columns);
            double max = z[row].Max();
            double logSum = max + Math.Log(z[row].Sum(v => Math.Exp(v - max)));
            for (int j = r * columns; j < (r + 1) * columns; j++)
            {
                y[j] = log ? z[j] - logSum : Math.Exp(z[j] - logSum);
            }
        }
        return y;
    }

    private static void Softmax(CaseContext c, Shape shape)
    {
        int rows = shape[0], columns = (int)(shape.ElementCount / rows);
        double[] z = c.Random(shape.ElementCount, 46, 3);
        z[0] = 80; // exp(80) overflows float32: a naive softmax gives NaN
        Tensor tz = c.Upload(shape, z);
        foreach (bool log in new[] { false, true })
        {
            Tensor ty = c.Garbage(shape);
            c.Backend.Softmax(tz, ty, log);
            c.Close(SoftmaxRows(z, rows, columns, log), ty, log ? "log-softmax" : "softmax");
        }
        Tensor inPlace = c.Upload(shape, z);
        c.Backend.Softmax(inPlace, inPlace);
        c.Close(SoftmaxRows(z, rows, columns, false), inPlace, "softmax in place");
    }

    private static void SoftmaxBackward(CaseContext c, Shape shape)
    {
        int rows = shape[0], columns = (int)(shape.ElementCount / rows);
        double[] z = c.Random(shape.ElementCount, 63, 2), dy = c.Random(shape.ElementCount, 64);
        foreach (bool log in new[] { false, true })
        {
            double[] y = c.Round(SoftmaxRows(z, rows, columns, log));
            var expected = new double[z.Length];
            for (int r = 0; r < rows; r++)
            {
                double dot = 0, sum = 0;
                for (int j = r * columns; j < (r + 1) * columns; j++)
                {
                    dot += dy[j] * y[j];
                    sum += dy[j];
                }
                for (int j = r * columns; j < (r + 1) * columns; j++)
                {
                    expected[j] = log ? dy[j] - (Math.Exp(y[j]) * sum) : y[j] * (dy[j] - dot);
                }
            }
            string what = log ? "log-softmax backward" : "softmax backward";
            Tensor ty = c.Upload(shape, y), tdy = c.Upload(shape, dy), tdx = c.Garbage(shape);
            c.Backend.SoftmaxBackward(ty, tdy, tdx, log);
            c.Close(expected, tdx, what);
            c.Backend.SoftmaxBackward(ty, tdy, tdy, log);
            c.Close(expected, tdy, what + " into dy");
            Tensor freshDy = c.Upload(shape, dy);
            c.Backend.SoftmaxBackward(ty, freshDy, ty, log);
            c.Close(expected, ty, what + " into y");
        }
    }
}
