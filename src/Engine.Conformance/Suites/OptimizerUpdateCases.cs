namespace Engine.Conformance;

/// <summary>
/// <see cref="IBackend.OptimizerUpdate"/> against a float64 reference written from the formulas of
/// <see cref="UpdateRule"/>: three steps of every rule and its options, values and every state.
/// </summary>
internal static class OptimizerUpdateCases
{
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

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (var (what, rule, h) in Configurations)
            {
                var d = new OpDescriptor(BackendOp.OptimizerUpdate, type) { Rule = rule, Shape = new Shape(Count) };
                yield return KitCase.Of($"{d} {what}, 3 steps", d, c => Steps(c, rule, h));
            }
        }
    }

    private static void Steps(CaseContext c, UpdateRule rule, UpdateHyperparameters baseH)
    {
        var shape = new Shape(Count);
        double[] theta = c.Random(Count, 1);
        var reference = new UpdateReference(theta);
        Tensor value = c.Upload(shape, theta);
        Tensor s1 = c.Upload(shape, new double[Count]), s2 = c.Upload(shape, new double[Count]), s3 = c.Upload(shape, new double[Count]);
        for (int t = 1; t <= 3; t++)
        {
            double[] g = c.Random(Count, (ulong)(10 + t));
            Tensor gradient = c.Upload(shape, g);
            // Step-dependent scalars as an optimiser computes them; RAdam with β2 0.9 stays
            // un-rectified for steps 1–3, so step 3 is forced rectified to cover both branches.
            UpdateHyperparameters h = baseH with
            {
                FirstStep = t == 1,
                BiasCorrection1 = 1 - Math.Pow(baseH.Beta1, t),
                BiasCorrection2 = 1 - Math.Pow(baseH.Beta2, t),
                Rectification = rule == UpdateRule.RAdam && t == 3 ? 0.7 : 0,
            };
            c.Backend.OptimizerUpdate(rule, h, value, gradient, s1, s2, s3);
            reference.Step(rule, h, g);
        }
        c.Close(reference.Theta, value, "value");
        c.Close(reference.S1, s1, "state1");
        c.Close(reference.S2, s2, "state2");
        c.Close(reference.S3, s3, "state3");
    }
}

/// <summary>The rules in double, element by element, straight from the formulas.</summary>
internal sealed class UpdateReference(double[] theta)
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
