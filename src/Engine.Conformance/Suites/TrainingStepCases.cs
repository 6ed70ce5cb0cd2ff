namespace Engine.Conformance;

/// <summary>
/// The ops that keep a training step on the backend: one-hot targets from Int32 labels, the loss
/// accumulator with its first-non-finite-step flag, top-k counts, the confusion matrix, the sum of
/// squares and clipping by norm. Counts and flags are exact; sums within tolerance.
/// </summary>
internal static class TrainingStepCases
{
    private static readonly OpDescriptor Labels = new(BackendOp.Memory, DataType.Int32);
    private static readonly OpDescriptor Doubles = new(BackendOp.Memory, DataType.Float64);

    private static KitCase Case(BackendOp op, DataType type, Shape shape, string what, Action<CaseContext> body)
    {
        var d = new OpDescriptor(op, type) { Shape = shape };
        return new KitCase($"{d} {what}", [d, Labels, Doubles], type, body);
    }

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            yield return Case(BackendOp.OneHot, type, new Shape(6, 5), "labels with one outside [0, K)", OneHot);
            yield return Case(BackendOp.AccumulateLoss, type, new Shape(1), "weighted sum and first non-finite step", AccumulateLoss);
            yield return Case(BackendOp.AccumulateTopK, type, new Shape(9, 6), "top-1..3 with ties, NaN and a bad label", TopK);
            yield return Case(BackendOp.AccumulateConfusion, type, new Shape(9, 6), "with ties, NaN and a bad label", Confusion);
            yield return Case(BackendOp.SumOfSquares, type, new Shape(5, 41), "β 0 over NaN, then β 0.5", SumOfSquares);
            yield return Case(BackendOp.ClipToNorm, type, new Shape(5, 41), "above, below and non-finite norms", ClipToNorm);
        }
    }

    private static void OneHot(CaseContext c)
    {
        int[] labels = [3, 0, 4, 7, 1, -1];
        Tensor y = c.Garbage(new Shape(6, 5));
        c.Backend.OneHot(c.Labels(labels), y);
        double[] expected = new double[30];
        for (int n = 0; n < labels.Length; n++)
        {
            if (labels[n] is >= 0 and < 5)
            {
                expected[(n * 5) + labels[n]] = 1;
            }
        }
        CaseContext.Exact(expected, y, "one-hot rows (labels 7 and -1 give zero rows)");
    }

    private static void AccumulateLoss(CaseContext c)
    {
        Tensor finite = c.Upload(new Shape(2), [0, 0], DataType.Float64);
        Tensor broken = c.Upload(new Shape(2), [0, 0], DataType.Float64);
        var steps = new (double Value, double Weight)[] { (1.5, 2), (0.25, 1), (double.NaN, 1), (4, 0.5), (double.PositiveInfinity, 1) };
        for (int i = 0; i < steps.Length; i++)
        {
            Tensor value = c.Upload(new Shape(1), [steps[i].Value]);
            c.Backend.AccumulateLoss(value, steps[i].Weight, i + 1, broken);
            if (double.IsFinite(steps[i].Value))
            {
                c.Backend.AccumulateLoss(value, steps[i].Weight, i + 1, finite);
            }
        }
        CaseContext.Exact([3 + 0.25 + 2, 0], finite, "finite values: [Σ w·v, 0]");
        double[] got = CaseContext.Download(broken);
        if (got[1] != 3)
        {
            throw new ConformanceFailure($"first non-finite step is {got[1]}, expected 3 (NaN at step 3, ∞ at step 5)");
        }
        if (!double.IsNaN(got[0]))
        {
            throw new ConformanceFailure($"sum after a NaN value is {got[0]}, expected NaN");
        }
    }

    // Rows of 6 logits: ties with the target, a NaN elsewhere (counts as greater), a NaN target
    // (never correct) and a label outside [0, K) (never correct).
    private static (double[] Logits, int[] Labels) Scores(CaseContext c)
    {
        double[] logits = c.Random(54, 90);
        logits[(0 * 6) + 2] = logits[(0 * 6) + 4];        // row 0: target 2 tied with class 4
        logits[(1 * 6) + 1] = double.NaN;                  // row 1: a NaN that is not the target
        logits[(2 * 6) + 5] = double.NaN;                  // row 2: the target is NaN
        logits[(3 * 6) + 0] = 9;                           // row 3: target is the clear maximum
        for (int j = 0; j < 6; j++)
        {
            logits[(4 * 6) + j] = 0.5;                     // row 4: all equal
        }
        int[] labels = [2, 3, 5, 0, 1, 6, 4, 2, 0];        // row 5: label 6 is outside [0, 6)
        return (logits, labels);
    }

    private static void TopK(CaseContext c)
    {
        var (logits, labels) = Scores(c);
        double[] counts = [1, 2, 3];
        double[] expected = (double[])counts.Clone();
        for (int n = 0; n < 9; n++)
        {
            int t = labels[n];
            if (t < 0 || t >= 6 || double.IsNaN(logits[(n * 6) + t]))
            {
                continue;
            }
            // Ranked ahead: greater, NaN, or equal at a lower index (ties go to the lower index).
            int rank = Enumerable.Range(0, 6).Count(j => logits[(n * 6) + j] > logits[(n * 6) + t] || double.IsNaN(logits[(n * 6) + j])
                || (j < t && logits[(n * 6) + j] == logits[(n * 6) + t]));
            for (int j = 0; j < 3; j++)
            {
                expected[j] += rank <= j ? 1 : 0;
            }
        }
        Tensor tc = c.Upload(new Shape(3), counts, DataType.Float64);
        c.Backend.AccumulateTopK(c.Upload(new Shape(9, 6), logits), c.Labels(labels), tc);
        CaseContext.Exact(expected, tc, "counts (started at 1, 2, 3)");
    }

    private static void Confusion(CaseContext c)
    {
        var (logits, labels) = Scores(c);
        double[] matrix = Enumerable.Range(0, 36).Select(i => (double)(i % 2)).ToArray();
        double[] expected = (double[])matrix.Clone();
        for (int n = 0; n < 9; n++)
        {
            int t = labels[n];
            if (t < 0 || t >= 6)
            {
                continue;
            }
            var row = logits[(n * 6)..((n * 6) + 6)];
            int nan = Array.FindIndex(row, double.IsNaN);
            int p = nan >= 0 ? nan : Array.IndexOf(row, row.Max());
            expected[(t * 6) + p] += 1;
        }
        Tensor tm = c.Upload(new Shape(6, 6), matrix, DataType.Float64);
        c.Backend.AccumulateConfusion(c.Upload(new Shape(9, 6), logits), c.Labels(labels), tm);
        CaseContext.Exact(expected, tm, "matrix (rows: true class; first NaN, else first maximum)");
    }

    private static void SumOfSquares(CaseContext c)
    {
        double[] x = c.Random(205, 91);
        double squares = x.Sum(v => v * v);
        Tensor tx = c.Upload(new Shape(5, 41), x);
        Tensor acc = c.Upload(new Shape(1), [double.NaN], DataType.Float64);
        c.Backend.SumOfSquares(tx, acc, 0);
        Compare.Close([squares], CaseContext.Download(acc), c.Traits.Float64Tolerance * 10, "β = 0 over NaN");
        c.Backend.SumOfSquares(tx, acc, 0.5);
        Compare.Close([1.5 * squares], CaseContext.Download(acc), c.Traits.Float64Tolerance * 10, "β = 0.5");
    }

    private static void ClipToNorm(CaseContext c)
    {
        double[] x = c.Random(205, 92);
        double norm = Math.Sqrt(x.Sum(v => v * v));
        foreach (var (s, maxNorm, what) in new[]
        {
            (norm * norm, norm / 4, "norm above the maximum: scaled to it"),
            (norm * norm, norm * 2, "norm below the maximum: unchanged"),
            (double.NaN, 1.0, "NaN sum: unchanged"),
            (double.PositiveInfinity, 1.0, "infinite sum: unchanged"),
        })
        {
            Tensor tx = c.Upload(new Shape(5, 41), x);
            c.Backend.ClipToNorm(c.Upload(new Shape(1), [s], DataType.Float64), maxNorm, tx);
            double scale = double.IsFinite(s) && Math.Sqrt(s) > maxNorm ? maxNorm / Math.Sqrt(s) : 1;
            c.Close(x.Select(v => v * scale).ToArray(), tx, what);
        }
    }
}
