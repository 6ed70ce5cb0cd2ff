namespace Engine.Core.Tests;

/// <summary>
/// Class-index targets (<see cref="DataType.Int32"/>, one per row) give bit for bit what the same
/// targets as one-hot rows give, value and gradient, for every built-in loss in both float types.
/// </summary>
public sealed class LossLabelTargetTests
{
    [Theory]
    [InlineData("softmax-cross-entropy", "{}", DataType.Float32)]
    [InlineData("softmax-cross-entropy", "{}", DataType.Float64)]
    [InlineData("softmax-cross-entropy", "{\"label_smoothing\": 0.1}", DataType.Float32)]
    [InlineData("mse", "{}", DataType.Float32)]
    [InlineData("mse", "{}", DataType.Float64)]
    [InlineData("multiclass-hinge", "{}", DataType.Float32)]
    [InlineData("multiclass-hinge", "{\"margin\": 0.5}", DataType.Float64)]
    public void ClassIndicesGiveExactlyWhatOneHotRowsGive(string name, string args, DataType type)
    {
        const int n = 6, k = 5;
        using IBackend backend = TestEngine.CreateBackend();
        double[] scores = TestEngine.RandomValues(n * k, seed: 41, scale: 2);
        double[] oneHot = LossChecks.OneHot(n, k);
        int[] labels = Enumerable.Range(0, n).Select(i => ((3 * i) + 1) % k).ToArray();
        using Tensor z = Upload(backend, new Shape(n, k), scores, type);
        using Tensor t = Upload(backend, new Shape(n, k), oneHot, type);
        using Tensor y = backend.Allocate(new Shape(n), DataType.Int32);
        backend.CopyFromHost<int>(labels, y);

        using ILoss fromOneHot = LossChecks.Create(name, args), fromLabels = LossChecks.Create(name, args);
        LossOutput a = fromOneHot.Compute(z, t);
        LossOutput b = fromLabels.Compute(z, y);

        Assert.Equal(Bits(a.Value), Bits(b.Value));
        Assert.Equal(Bits(a.Gradient), Bits(b.Gradient));
        Assert.True(Bits(a.Value)[0] != 0); // a real value was compared

        // The expansion buffer is reused: a second call with other labels changes the answer and allocates nothing new.
        backend.CopyFromHost<int>(labels.Select(l => (l + 1) % k).ToArray(), y);
        Assert.NotEqual(Bits(a.Value), Bits(fromLabels.Compute(z, y).Value));
    }

    [Fact]
    public void ClassIndicesOfAnotherCountAreAShapeErrorNamingTheLoss()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using ILoss loss = LossChecks.Create("softmax-cross-entropy");
        using Tensor z = backend.Allocate(new Shape(4, 3));
        using Tensor y = backend.Allocate(new Shape(5), DataType.Int32);
        var error = Assert.Throws<ShapeException>(() => loss.Compute(z, y));
        Assert.Contains("'softmax-cross-entropy'", error.Message);
        Assert.Contains("[5]", error.Message);
    }

    private static Tensor Upload(IBackend backend, Shape shape, double[] values, DataType type)
    {
        Tensor tensor = backend.Allocate(shape, type);
        if (type == DataType.Float64)
        {
            backend.CopyFromHost<double>(values, tensor);
        }
        else
        {
            backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), tensor);
        }
        return tensor;
    }

    private static long[] Bits(Tensor tensor)
    {
        if (tensor.DataType == DataType.Float64)
        {
            return TestEngine.Download(tensor).Select(BitConverter.DoubleToInt64Bits).ToArray();
        }
        var values = new float[tensor.ElementCount];
        tensor.Backend.CopyToHost<float>(tensor, values);
        return values.Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray();
    }
}
