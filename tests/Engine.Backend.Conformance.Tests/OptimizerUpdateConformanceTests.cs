namespace Engine.Backend.Conformance.Tests;

/// <summary>
/// <see cref="IBackend.OptimizerUpdate"/> against a float64 reference written from the formulas
/// of <see cref="UpdateRule"/>, for three steps of every rule and its options (values and states).
/// </summary>
public sealed class OptimizerUpdateConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.OptimizerUpdate);

    private const int Count = 37; // not a multiple of any vector width

    private static readonly (string What, UpdateRule Rule, UpdateHyperparameters H)[] Configurations =
    [
        ("sgd", UpdateRule.Sgd, new() { LearningRate = 0.1, WeightDecay = 0.01 }),
        ("sgd momentum", UpdateRule.Sgd, new() { LearningRate = 0.1, Momentum = 0.9, Dampening = 0.2, WeightDecay = 0.01 }),
        ("sgd nesterov", UpdateRule.Sgd, new() { LearningRate = 0.1, Momentum = 0.9, Nesterov = true }),
        ("adagrad", UpdateRule.Adagrad, new() { LearningRate = 0.1, Epsilon = 1e-10, WeightDecay = 0.01 }),
        ("rmsprop", UpdateRule.RmsProp, new() { LearningRate = 0.01, Beta2 = 0.99, Epsilon = 1e-8 }),
        ("rmsprop centred momentum", UpdateRule.RmsProp, new() { LearningRate = 0.01, Beta2 = 0.9, Epsilon = 1e-8, Momentum = 0.5, Centered = true, WeightDecay = 0.01 }),
        ("adam", UpdateRule.Adam, new() { LearningRate = 0.01, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, WeightDecay = 0.01 }),
        ("adamw amsgrad", UpdateRule.Adam, new() { LearningRate = 0.01, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, WeightDecay = 0.1, DecoupledWeightDecay = true, AmsGrad = true }),
        ("radam", UpdateRule.RAdam, new() { LearningRate = 0.01, Beta1 = 0.9, Beta2 = 0.9, Epsilon = 1e-8, WeightDecay = 0.01 }),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheFloat64Reference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        foreach (var (what, rule, baseH) in Configurations)
        {
            double[] theta = TensorData.Random(Count, 1, type);
            var reference = new Reference(theta);
            using Tensor value = TensorData.Upload(backend, new Shape(Count), theta, type);
            using Tensor s1 = backend.Allocate(new Shape(Count), type);
            using Tensor s2 = backend.Allocate(new Shape(Count), type);
            using Tensor s3 = backend.Allocate(new Shape(Count), type);
            foreach (Tensor s in new[] { s1, s2, s3 })
            {
                backend.Fill(s, 0);
            }
            for (int t = 1; t <= 3; t++)
            {
                double[] g = TensorData.Random(Count, (ulong)(10 + t), type);
                using Tensor gradient = TensorData.Upload(backend, new Shape(Count), g, type);
                // Step-dependent scalars as an optimiser computes them; RAdam with β2 0.9 stays un-rectified
                // for steps 1–3, so step 3 is forced rectified to cover both branches.
                UpdateHyperparameters h = baseH with
                {
                    FirstStep = t == 1,
                    BiasCorrection1 = 1 - Math.Pow(baseH.Beta1, t),
                    BiasCorrection2 = 1 - Math.Pow(baseH.Beta2, t),
                    Rectification = rule == UpdateRule.RAdam && t == 3 ? 0.7 : 0,
                };
                backend.OptimizerUpdate(rule, h, value, gradient, s1, s2, s3);
                reference.Step(rule, h, g);
            }
            TensorData.AssertClose(reference.Theta, TensorData.Download(value), type, $"{what}: value");
            TensorData.AssertClose(reference.S1, TensorData.Download(s1), type, $"{what}: state1");
            TensorData.AssertClose(reference.S2, TensorData.Download(s2), type, $"{what}: state2");
            TensorData.AssertClose(reference.S3, TensorData.Download(s3), type, $"{what}: state3");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MissingStateIsRefusedNamingIt(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        using Tensor value = backend.Allocate(new Shape(3), type);
        using Tensor gradient = backend.Allocate(new Shape(3), type);
        var e = Assert.Throws<ArgumentNullException>(() =>
            backend.OptimizerUpdate(UpdateRule.Adam, new UpdateHyperparameters { BiasCorrection1 = 0.1, BiasCorrection2 = 0.001 }, value, gradient, null, null, null));
        Assert.Contains("state1", e.Message);
        // Plain SGD needs no state.
        backend.Fill(value, 1);
        backend.Fill(gradient, 2);
        backend.OptimizerUpdate(UpdateRule.Sgd, new UpdateHyperparameters { LearningRate = 0.25 }, value, gradient, null, null, null);
        Assert.Equal([0.5, 0.5, 0.5], TensorData.Download(value));
    }

    /// <summary>The rules in double, element by element, straight from the formulas.</summary>
    private sealed class Reference(double[] theta)
    {
        public double[] Theta { get; } = (double[])theta.Clone();
        public double[] S1 { get; } = new double[theta.Length];
        public double[] S2 { get; } = new double[theta.Length];
        public double[] S3 { get; } = new double[theta.Length];

        public void Step(UpdateRule rule, UpdateHyperparameters h, double[] gradient)
        {
            for (int i = 0; i < Theta.Length; i++)
            {
                double decoupled = h.DecoupledWeightDecay ? 1 - h.LearningRate * h.WeightDecay : 1;
                double g = gradient[i] + (h.DecoupledWeightDecay ? 0 : h.WeightDecay * Theta[i]);
                switch (rule)
                {
                    case UpdateRule.Sgd:
                        if (h.Momentum != 0)
                        {
                            S1[i] = h.FirstStep ? g : h.Momentum * S1[i] + (1 - h.Dampening) * g;
                            g = h.Nesterov ? g + h.Momentum * S1[i] : S1[i];
                        }
                        Theta[i] -= h.LearningRate * g;
                        break;
                    case UpdateRule.Adagrad:
                        S1[i] += g * g;
                        Theta[i] -= h.LearningRate * g / (Math.Sqrt(S1[i]) + h.Epsilon);
                        break;
                    case UpdateRule.RmsProp:
                        S1[i] = h.Beta2 * S1[i] + (1 - h.Beta2) * g * g;
                        double variance = S1[i];
                        if (h.Centered)
                        {
                            S3[i] = h.Beta2 * S3[i] + (1 - h.Beta2) * g;
                            variance -= S3[i] * S3[i];
                        }
                        double step = g / (Math.Sqrt(variance) + h.Epsilon);
                        if (h.Momentum > 0)
                        {
                            S2[i] = h.Momentum * S2[i] + step;
                            step = S2[i];
                        }
                        Theta[i] -= h.LearningRate * step;
                        break;
                    case UpdateRule.Adam:
                        S1[i] = h.Beta1 * S1[i] + (1 - h.Beta1) * g;
                        S2[i] = h.Beta2 * S2[i] + (1 - h.Beta2) * g * g;
                        S3[i] = h.AmsGrad ? Math.Max(S3[i], S2[i]) : 0;
                        double v = h.AmsGrad ? S3[i] : S2[i];
                        Theta[i] = Theta[i] * decoupled - h.LearningRate / h.BiasCorrection1 * S1[i] / (Math.Sqrt(v / h.BiasCorrection2) + h.Epsilon);
                        break;
                    default:
                        S1[i] = h.Beta1 * S1[i] + (1 - h.Beta1) * g;
                        S2[i] = h.Beta2 * S2[i] + (1 - h.Beta2) * g * g;
                        double mHat = S1[i] / h.BiasCorrection1;
                        Theta[i] = Theta[i] * decoupled - (h.Rectification > 0
                            ? h.LearningRate * h.Rectification * mHat * Math.Sqrt(h.BiasCorrection2) / (Math.Sqrt(S2[i]) + h.Epsilon)
                            : h.LearningRate * mHat);
                        break;
                }
            }
        }
    }
}
