namespace Engine.Backend.Conformance.Tests;

public sealed class LrnConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.Lrn);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardScaleAndBackwardMatchTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        ulong seed = 20;
        foreach (var (shape, p) in new (int[], LrnParameters)[]
        {
            ([2, 7, 3, 4], new LrnParameters()),                                 // AlexNet's defaults
            ([2, 6, 5], new LrnParameters(Size: 3, Alpha: 0.5, Beta: 0.75, K: 1)),
            ([3, 5], new LrnParameters(Size: 4, Alpha: 1.0, Beta: 0.6, K: 2)),  // even window, dense input
            ([1, 3, 2, 2], new LrnParameters(Size: 9, Alpha: 0.3, Beta: 1.2, K: 1.5)), // window wider than the channels
        })
        {
            (int n, int c, int s) = (shape[0], shape[1], shape[2..].Aggregate(1, (a, b) => a * b));
            string what = $"LRN of [{string.Join(", ", shape)}] with {p}";
            double[] x = TensorData.Random(n * c * s, seed++, type), dy = TensorData.Random(n * c * s, seed++, type);
            var shapeOf = new Shape(shape);
            using Tensor tx = TensorData.Upload(backend, shapeOf, x, type);
            using Tensor ty = backend.Allocate(shapeOf, type);
            using Tensor tScale = backend.Allocate(shapeOf, type);
            using Tensor tdy = TensorData.Upload(backend, shapeOf, dy, type);
            using Tensor tdx = backend.Allocate(shapeOf, type);
            backend.LrnForward(p, tx, ty, tScale);
            var (y, scale) = ReferenceNormalization.LrnForward(p, x, n, c, s);
            TensorData.AssertClose(y, TensorData.Download(ty), type, what + " y");
            TensorData.AssertClose(scale, TensorData.Download(tScale), type, what + " scale");
            backend.LrnBackward(p, tx, ty, tScale, tdy, tdx);
            TensorData.AssertClose(ReferenceNormalization.LrnBackward(p, x, dy, n, c, s), TensorData.Download(tdx), type, what + " dx");
        }
    }
}
