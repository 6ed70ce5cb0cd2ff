namespace Engine.Core.Tests;

public sealed class LossTests
{
    [Fact]
    public void MseGradientMatchesFiniteDifferences()
    {
        using ILoss loss = LossChecks.Create("mse");
        LossChecks.GradientMatchesFiniteDifferences(loss, new Shape(4, 3),
            TestEngine.RandomValues(12, seed: 21, scale: 2), TestEngine.RandomValues(12, seed: 22));
    }

    [Fact]
    public void MseIsTheMeanOverEveryElement()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using ILoss loss = LossChecks.Create("mse");
        // Squared errors 1, 0, 4, 0 over 2×2 elements: 5/4, not 5/2 (PyTorch's mean reduction).
        var (value, gradient) = LossChecks.Evaluate(loss, backend, new Shape(2, 2), [1, 2, 3, 4], [0, 2, 5, 4]);
        Assert.Equal(1.25, value, 14);
        Assert.Equal([0.5, 0, -1, 0], gradient);
    }

    [Fact]
    public void MseRejectsMismatchedShapes()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using ILoss loss = LossChecks.Create("mse");
        using Tensor z = backend.Allocate(new Shape(2, 3), DataType.Float64);
        using Tensor t = backend.Allocate(new Shape(3, 2), DataType.Float64);
        var error = Assert.Throws<ShapeException>(() => loss.Compute(z, t));
        Assert.Contains("'mse'", error.Message);
    }

    [Theory]
    [InlineData("{}", 1.0)]
    [InlineData("{\"margin\": 0.5}", 0.5)]
    public void HingeGradientMatchesFiniteDifferencesAwayFromTheKinks(string args, double margin)
    {
        const int n = 5, k = 4;
        double[] scores = TestEngine.RandomValues(n * k, seed: 31, scale: 2);
        double[] targets = LossChecks.OneHot(n, k);
        for (int i = 0; i < n; i++)
        {
            double trueScore = Enumerable.Range(0, k).Sum(j => scores[i * k + j] * targets[i * k + j]);
            for (int j = 0; j < k; j++)
            {
                double m = scores[i * k + j] - trueScore + margin;
                Assert.True(targets[i * k + j] == 1 || Math.Abs(m) > 1e-3, $"test data has a margin at the kink: row {i}, class {j}");
            }
        }
        using ILoss loss = LossChecks.Create("multiclass-hinge", args);
        LossChecks.GradientMatchesFiniteDifferences(loss, new Shape(n, k), scores, targets);
    }

    [Fact]
    public void HingeKnownAnswer()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using ILoss loss = LossChecks.Create("multiclass-hinge");
        // Row 0 (class 0): class 1 violates by 5.1 − 3.2 + 1 = 2.9; row 1 (class 1): no violation;
        // row 2 (class 2): classes 0 and 1 violate by 6.3 and 6.6. Mean (2.9 + 0 + 12.9) / 3.
        double[] scores = [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1];
        double[] targets = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        var (value, gradient) = LossChecks.Evaluate(loss, backend, new Shape(3, 3), scores, targets);
        Assert.Equal(15.8 / 3, value, 12);
        double[] expected = [-1, 1, 0, 0, 0, 0, 1, 1, -2];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i] / 3, gradient[i], 14);
        }
    }

    [Fact]
    public void HingeAtTheKinkTakesTheZeroSubgradient()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using ILoss loss = LossChecks.Create("multiclass-hinge");
        // Class 1 meets the margin exactly (2 − 3 + 1 = 0): no loss and no gradient.
        var (value, gradient) = LossChecks.Evaluate(loss, backend, new Shape(1, 2), [3, 2], [1, 0]);
        Assert.Equal(0, value);
        Assert.Equal([0, 0], gradient);
    }

    [Fact]
    public void HingeRejectsANegativeMargin()
    {
        var error = Assert.Throws<ConfigurationException>(() => LossChecks.Create("multiclass-hinge", "{\"margin\": -1}"));
        Assert.Contains("'margin' is -1", error.Message);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void LabelSmoothingGradientMatchesFiniteDifferences(double epsilon)
    {
        using ILoss loss = LossChecks.Create("softmax-cross-entropy", $"{{\"label_smoothing\": {epsilon}}}");
        LossChecks.GradientMatchesFiniteDifferences(loss, new Shape(4, 5), TestEngine.RandomValues(20, seed: 41, scale: 3), LossChecks.OneHot(4, 5));
    }

    [Fact]
    public void LabelSmoothingMatchesPyTorchsFormula()
    {
        using IBackend backend = TestEngine.CreateBackend();
        const int n = 3, k = 4;
        const double epsilon = 0.2;
        double[] logits = TestEngine.RandomValues(n * k, seed: 43, scale: 2);
        double[] targets = LossChecks.OneHot(n, k);
        // PyTorch: (1 − ε)·(−log p_y) + (ε/K)·Σ_j (−log p_j), averaged over the batch.
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            double[] row = logits[(i * k)..((i + 1) * k)];
            double logSum = Math.Log(row.Sum(Math.Exp));
            int label = Array.IndexOf(targets, 1.0, i * k) - (i * k);
            expected += ((1 - epsilon) * (logSum - row[label])) + (epsilon / k * row.Sum(v => logSum - v));
        }
        expected /= n;
        using ILoss smoothed = LossChecks.Create("softmax-cross-entropy", "{\"label_smoothing\": 0.2}");
        Assert.Equal(expected, LossChecks.Evaluate(smoothed, backend, new Shape(n, k), logits, targets).Value, 12);
    }

    [Fact]
    public void NoLabelSmoothingIsTheDefault()
    {
        using IBackend backend = TestEngine.CreateBackend();
        double[] logits = TestEngine.RandomValues(12, seed: 44);
        double[] targets = LossChecks.OneHot(3, 4);
        using ILoss plain = new SoftmaxCrossEntropyLoss();
        using ILoss zero = LossChecks.Create("softmax-cross-entropy", "{\"label_smoothing\": 0}");
        var (plainValue, plainGradient) = LossChecks.Evaluate(plain, backend, new Shape(3, 4), logits, targets);
        var (zeroValue, zeroGradient) = LossChecks.Evaluate(zero, backend, new Shape(3, 4), logits, targets);
        Assert.Equal(plainValue, zeroValue);
        Assert.Equal(plainGradient, zeroGradient);
    }

    [Theory]
    [InlineData("{\"label_smoothing\": 1.5}", "'label_smoothing' is 1.5; it must be in [0, 1]")]
    [InlineData("{\"label_smoothing\": -0.1}", "'label_smoothing' is -0.1")]
    [InlineData("{\"smoothing\": 0.1}", "unknown argument(s) 'smoothing'")]
    public void LabelSmoothingArgumentIsChecked(string args, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LossChecks.Create("softmax-cross-entropy", args));
        Assert.Contains(message, error.Message);
    }
}
