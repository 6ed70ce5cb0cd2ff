using Engine.Datasets.Idx;
using Engine.Tests;

namespace Engine.Core.Tests;

public sealed class RegularizerTests
{
    private const double H = 1e-6;

    private static Parameter NewParameter(IBackend backend, string name, double[] values, double[]? gradient = null) =>
        new(name, TestEngine.Upload(backend, new Shape(values.Length), values),
            TestEngine.Upload(backend, new Shape(values.Length), gradient ?? new double[values.Length]));

    private static double Penalty(Regularizer regularizer, IBackend backend, IReadOnlyList<Parameter> parameters)
    {
        using Tensor total = TestEngine.Upload(backend, new Shape(1), [0]);
        regularizer.AddPenalty(parameters, total);
        return TestEngine.Download(total)[0];
    }

    // w = [1, −2, 0, 3]: Σ|w| = 6, Σw² = 14; L2, L1, elastic net.
    public static TheoryData<double, double, double> KnownCases => new()
    {
        { 0, 0.1, 1.4 },
        { 0.5, 0, 3.0 },
        { 0.5, 0.1, 4.4 },
    };

    [Theory]
    [MemberData(nameof(KnownCases))]
    public void KnownPenaltiesAndGradientsOnWeightsOnly(double l1, double l2, double expected)
    {
        using IBackend backend = TestEngine.CreateBackend();
        double[] w = [1, -2, 0, 3];
        using Parameter weight = NewParameter(backend, "dense1.weight", w, [10, 10, 10, 10]);
        using Parameter bias = NewParameter(backend, "dense1.bias", [5], [7]);
        using var regularizer = new Regularizer([new RegularizationGroup("*.weight", l1, l2)]);

        Assert.Equal(expected, Penalty(regularizer, backend, [weight, bias]), 12);
        regularizer.AddGradients([weight, bias]);
        double[] gradient = TestEngine.Download(weight.Gradient);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.Equal(10 + (l1 * Math.Sign(w[i])) + (2 * l2 * w[i]), gradient[i], 12);
        }
        Assert.Equal([7], TestEngine.Download(bias.Gradient)); // the bias matches no group: untouched
    }

    [Theory]
    [InlineData(0.3, 0)]
    [InlineData(0, 0.2)]
    [InlineData(0.3, 0.2)]
    public void GradientMatchesFiniteDifferencesOfThePenalty(double l1, double l2)
    {
        using IBackend backend = TestEngine.CreateBackend();
        // Away from 0, where |w| has its kink.
        double[] w = TestEngine.RandomValues(7, seed: 51).Select(v => v + (v < 0 ? -0.1 : 0.1)).ToArray();
        using Parameter p = NewParameter(backend, "conv.weight", w);
        using var regularizer = new Regularizer([new RegularizationGroup("conv.*", l1, l2)]);
        regularizer.AddGradients([p]);
        double[] analytic = TestEngine.Download(p.Gradient);
        for (int i = 0; i < w.Length; i++)
        {
            double[] values = (double[])w.Clone();
            values[i] = w[i] + H;
            backend.CopyFromHost<double>(values, p.Value);
            double plus = Penalty(regularizer, backend, [p]);
            values[i] = w[i] - H;
            backend.CopyFromHost<double>(values, p.Value);
            double minus = Penalty(regularizer, backend, [p]);
            double numeric = (plus - minus) / (2 * H);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-8 + 1e-6 * Math.Abs(numeric), $"w[{i}]: finite difference {numeric}, gradient {analytic[i]}");
        }
    }

    [Fact]
    public void FirstMatchingGroupWinsAndFrozenParametersAreSkipped()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Parameter first = NewParameter(backend, "head.weight", [2]);
        using Parameter other = NewParameter(backend, "body.weight", [2]);
        using Parameter frozen = NewParameter(backend, "frozen.weight", [2]);
        frozen.Frozen = true;
        using var regularizer = new Regularizer([RegularizationGroup.Ridge("head.*", 1), RegularizationGroup.Lasso("*.weight", 0.5)]);
        Assert.Equal(4 + 1, Penalty(regularizer, backend, [first, other, frozen]), 14);
        Assert.Same(regularizer.Groups[0], regularizer.GroupOf(first));
        Assert.Same(regularizer.Groups[1], regularizer.GroupOf(other));
    }

    [Theory]
    [InlineData("*.weight", "dense1.weight", true)]
    [InlineData("*.weight", "dense1.bias", false)]
    [InlineData("*.weight", "block.conv.weight", true)]
    [InlineData("dense?.*", "dense2.bias", true)]
    [InlineData("dense?.*", "dense12.bias", false)]
    [InlineData("*", "anything", true)]
    [InlineData("a*b*c", "axxbyybzc", true)]
    [InlineData("a*b*c", "axxcyyb", false)]
    [InlineData("Dense1.weight", "dense1.weight", false)]
    public void NamePatternsMatchWholeNames(string pattern, string name, bool matches) =>
        Assert.Equal(matches, new NamePattern(pattern).Matches(name));

    [Fact]
    public void CoefficientsMustBeFiniteAndNonNegative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationGroup.Ridge("*", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationGroup.Lasso("*", double.NaN));
        Assert.Throws<ArgumentException>(() => RegularizationGroup.Ridge("", 1));
    }

    [Fact]
    public void TrainerWithL2ShrinksTheWeightsAndReportsThePenalty()
    {
        var train = ((ByteImageDataset)TestEngine.Catalog.Dataset("mnist").Load(RepoPaths.Mnist).Train).Take(640);

        (double WeightSquares, double Loss) Run(double learningRate, double l2)
        {
            using IBackend backend = TestEngine.CreateBackend();
            using Network net = Network.Build(TestEngine.Catalog.Model("mlp").Spec, TestEngine.Catalog, backend, train.SampleShape, seed: 3);
            using var loss = new SoftmaxCrossEntropyLoss();
            using var sgd = new SgdOptimizer(learningRate);
            using var regularizer = new Regularizer([RegularizationGroup.Ridge("*.weight", l2)]);
            var options = new TrainingOptions(Epochs: 1, BatchSize: 32, Seed: 2, Regularizer: l2 > 0 ? regularizer : null);
            double trainLoss = new Trainer(net, loss, sgd, options).Fit(train).Single().TrainLoss;
            double squares = 0;
            foreach (Parameter p in net.Parameters.Where(p => p.Name.EndsWith(".weight", StringComparison.Ordinal)))
            {
                var values = new float[p.Value.ElementCount];
                backend.CopyToHost<float>(p.Value, values);
                squares += values.Sum(v => (double)v * v);
            }
            return (squares, trainLoss);
        }

        // With lr 0 nothing moves, so the reported loss differs exactly by λ·Σw² of the initial weights.
        var (initialSquares, plainLoss) = Run(0, 0);
        var (_, penalisedLoss) = Run(0, 0.01);
        Assert.Equal(plainLoss + (0.01 * initialSquares), penalisedLoss, 1e-3);

        var (withoutL2, _) = Run(0.1, 0);
        var (withL2, _) = Run(0.1, 0.05);
        Assert.True(withL2 < 0.9 * withoutL2, $"Σw² with L2 {withL2:G6}, without {withoutL2:G6}");
    }
}
