namespace Engine.Backend.OpenBlas.Tests;

/// <summary>Known answers of the on-backend metric ops: ties, NaN rows, labels out of range.</summary>
public sealed class MetricTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    private (double[] TopK, double[] Confusion) Run(double[] logits, int[] labels, int classes, DataType type)
    {
        int n = labels.Length;
        using Tensor z = TestData.Upload(_backend, logits, new Shape(n, classes), type);
        using Tensor t = _backend.Allocate(new Shape(n), DataType.Int32);
        _backend.CopyFromHost<int>(labels, t);
        using Tensor counts = _backend.Allocate(new Shape(3), DataType.Float64);
        using Tensor matrix = _backend.Allocate(new Shape(classes, classes), DataType.Float64);
        _backend.Fill(counts, 0);
        _backend.Fill(matrix, 0);
        _backend.AccumulateTopK(z, t, counts);
        _backend.AccumulateConfusion(z, t, matrix);
        var c = new double[3];
        var m = new double[classes * classes];
        _backend.CopyToHost<double>(counts, c);
        _backend.CopyToHost<double>(matrix, m);
        return (c, m);
    }

    [Theory]
    [MemberData(nameof(TestData.TypeData), MemberType = typeof(TestData))]
    public void TiesGoToTheLowerIndexLikeTheConfusionMatrix(DataType type)
    {
        // Row 0: all equal, label 0 → first maximum, correct; row 1: all equal, label 2 → rank 2.
        // Row 2: label 1 holds 5, index 0 also 5, index 2 is 7 → rank 2 (7 greater, 5 at a lower index).
        double[] logits = [1, 1, 1, 1, 1, 1, 5, 5, 7];
        var (topK, confusion) = Run(logits, [0, 2, 1], 3, type);
        Assert.Equal([1, 1, 3], topK);
        Assert.Equal(1, confusion[0 * 3 + 0]); // label 0 predicted 0
        Assert.Equal(1, confusion[2 * 3 + 0]); // label 2 predicted 0 (first maximum)
        Assert.Equal(1, confusion[1 * 3 + 2]); // label 1 predicted 2
        Assert.Equal(topK[0], confusion[0] + confusion[4] + confusion[8]);
    }

    [Theory]
    [MemberData(nameof(TestData.TypeData), MemberType = typeof(TestData))]
    public void NaNIsNeverCorrectAndOutOfRangeLabelsAreSkipped(DataType type)
    {
        // Row 0: own logit NaN; row 1: another logit NaN ranks ahead; row 2: label 3 is out of range.
        double[] logits = [double.NaN, 0, 0, 2, double.NaN, 1, 9, 0, 0];
        var (topK, confusion) = Run(logits, [0, 0, 3], 3, type);
        Assert.Equal([0, 1, 1], topK);
        Assert.Equal(1, confusion[0]); // row 0 predicted its first NaN, index 0
        Assert.Equal(1, confusion[1]); // row 1 predicted index 1 (NaN)
        Assert.Equal(2, confusion.Sum());
    }
}
