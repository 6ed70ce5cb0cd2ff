namespace Engine.Backend.Conformance.Tests;

public sealed class GemmConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.Gemm);

    [Theory]
    [MemberData(nameof(Cases))]
    public void GemmMatchesTheReferenceForEveryTransposeCombination(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        const int m = 7, n = 5, k = 9;
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                double[] a = TensorData.Random(m * k, 1, type), b = TensorData.Random(k * n, 2, type), c = TensorData.Random(m * n, 3, type);
                using Tensor ta0 = TensorData.Upload(backend, ta ? new Shape(k, m) : new Shape(m, k), a, type);
                using Tensor tb0 = TensorData.Upload(backend, tb ? new Shape(n, k) : new Shape(k, n), b, type);
                using Tensor tc = TensorData.Upload(backend, new Shape(m, n), c, type);
                backend.Gemm(ta, tb, 0.5, ta0, tb0, 2.0, tc);
                var expected = new double[m * n];
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0;
                        for (int p = 0; p < k; p++)
                        {
                            sum += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                        }
                        expected[i * n + j] = 0.5 * sum + 2.0 * c[i * n + j];
                    }
                }
                TensorData.AssertClose(expected, TensorData.Download(tc), type, $"gemm(ta={ta}, tb={tb})");
            }
        }
    }
}
