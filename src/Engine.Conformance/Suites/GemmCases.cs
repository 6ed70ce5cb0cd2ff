namespace Engine.Conformance;

/// <summary>GEMM for every transpose combination, with β ≠ 0 (accumulate) and β = 0 over NaN (overwrite).</summary>
internal static class GemmCases
{
    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (var (m, n, k) in new[] { (7, 5, 9), (1, 33, 70), (64, 17, 3) })
            {
                foreach (bool ta in new[] { false, true })
                {
                    foreach (bool tb in new[] { false, true })
                    {
                        var d = new OpDescriptor(BackendOp.Gemm, type) { Shape = new Shape(m, n) };
                        string name = $"{d} k {k}{(ta ? " Aᵀ" : "")}{(tb ? " Bᵀ" : "")}";
                        yield return KitCase.Of(name, d, c => Gemm(c, m, n, k, ta, tb));
                    }
                }
            }
        }
    }

    private static void Gemm(CaseContext c, int m, int n, int k, bool ta, bool tb)
    {
        double[] a = c.Random(m * k, 1), b = c.Random(k * n, 2), old = c.Random(m * n, 3);
        Tensor tA = c.Upload(ta ? new Shape(k, m) : new Shape(m, k), a);
        Tensor tB = c.Upload(tb ? new Shape(n, k) : new Shape(k, n), b);
        foreach (double beta in new[] { 2.0, 0.0 })
        {
            Tensor tC = beta == 0 ? c.Garbage(new Shape(m, n)) : c.Upload(new Shape(m, n), old);
            c.Backend.Gemm(ta, tb, 0.5, tA, tB, beta, tC);
            var expected = new double[m * n];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        sum += (ta ? a[(p * m) + i] : a[(i * k) + p]) * (tb ? b[(j * k) + p] : b[(p * n) + j]);
                    }
                    expected[(i * n) + j] = (0.5 * sum) + (beta == 0 ? 0 : beta * old[(i * n) + j]);
                }
            }
            c.Close(expected, tC, $"C (α = 0.5, β = {beta})");
        }
    }
}
