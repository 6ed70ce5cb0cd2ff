using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>Each optimiser on a one-element parameter for a few steps, against values worked out by hand.</summary>
public sealed class OptimizerRuleTests
{
    private static void Near(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 12);
        }
    }

    [Fact]
    public void SgdMomentumStartsTheBufferWithTheFirstGradientAndAddsWeightDecay()
    {
        // lr 0.1, μ 0.9, wd 0.1, θ0 = 1, g = 0.5 twice.
        // 1: g' = 0.5 + 0.1·1 = 0.6, b = 0.6 (first step), θ = 1 − 0.06 = 0.94
        // 2: g' = 0.5 + 0.094 = 0.594, b = 0.9·0.6 + 0.594 = 1.134, θ = 0.94 − 0.1134 = 0.8266
        var sgd = OptimizerHarness.Create("sgd", new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9, ["weight_decay"] = 0.1 });
        Near([0.94, 0.8266], OptimizerHarness.Trajectory(sgd, 1, 0.5, 0.5));
    }

    [Fact]
    public void SgdNesterovStepsAlongGradientPlusMomentumTimesBuffer()
    {
        // lr 0.1, μ 0.9, θ0 = 1, g = 0.5 twice.
        // 1: b = 0.5, step = 0.5 + 0.9·0.5 = 0.95, θ = 0.905
        // 2: b = 0.45 + 0.5 = 0.95, step = 0.5 + 0.855 = 1.355, θ = 0.905 − 0.1355 = 0.7695
        var sgd = OptimizerHarness.Create("sgd", new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9, ["nesterov"] = true });
        Near([0.905, 0.7695], OptimizerHarness.Trajectory(sgd, 1, 0.5, 0.5));
    }

    [Fact]
    public void SgdDampeningScalesLaterGradientsOnly()
    {
        // lr 1, μ 0.5, dampening 0.5, θ0 = 0, g = 1, 1, 1.
        // b: 1 (first step, undamped), 0.5·1 + 0.5·1 = 1, 1 → θ = −1, −2, −3
        var sgd = OptimizerHarness.Create("sgd", new JsonObject { ["lr"] = 1, ["momentum"] = 0.5, ["dampening"] = 0.5 });
        Near([-1, -2, -3], OptimizerHarness.Trajectory(sgd, 0, 1, 1, 1));
    }

    [Fact]
    public void AdagradDividesBySquareRootOfTheSumAndDecaysTheRate()
    {
        // lr 0.1, lr_decay 0.5, eps 0, θ0 = 1, g = 3 then 4.
        // 1: clr = 0.1, s = 9, θ = 1 − 0.1·3/3 = 0.9
        // 2: clr = 0.1/(1 + 0.5) = 1/15, s = 9 + 16 = 25, θ = 0.9 − (1/15)·4/5 = 0.9 − 4/75
        var adagrad = OptimizerHarness.Create("adagrad", new JsonObject { ["lr"] = 0.1, ["lr_decay"] = 0.5, ["eps"] = 0 });
        Near([0.9, 0.9 - 4.0 / 75], OptimizerHarness.Trajectory(adagrad, 1, 3, 4));
    }

    [Fact]
    public void AdagradStartsTheSumAtTheInitialAccumulatorValue()
    {
        // initial 16, lr 1, eps 0, θ0 = 0, g = 3: s = 16 + 9 = 25, θ = −3/5
        var adagrad = OptimizerHarness.Create("adagrad", new JsonObject { ["lr"] = 1, ["initial_accumulator_value"] = 16, ["eps"] = 0 });
        Near([-0.6], OptimizerHarness.Trajectory(adagrad, 0, 3));
    }

    [Fact]
    public void RmsPropCenteredWithMomentum()
    {
        // lr 0.01, α 0.9, eps 0, μ 0.5, centred, θ0 = 1, g = 2 then 1.
        // 1: v = 0.1·4 = 0.4, a = 0.1·2 = 0.2, d = √(0.4 − 0.04) = 0.6, b = 2/0.6 = 10/3, θ = 1 − 0.01·10/3
        // 2: v = 0.36 + 0.1 = 0.46, a = 0.18 + 0.1 = 0.28, d = √(0.46 − 0.0784) = √0.3816,
        //    b = 0.5·10/3 + 1/√0.3816, θ = θ1 − 0.01·b
        var rmsprop = OptimizerHarness.Create("rmsprop", new JsonObject { ["lr"] = 0.01, ["alpha"] = 0.9, ["eps"] = 0, ["momentum"] = 0.5, ["centered"] = true });
        double theta1 = 1 - 0.01 * 10 / 3;
        Near([theta1, theta1 - 0.01 * (5.0 / 3 + 1 / Math.Sqrt(0.3816))], OptimizerHarness.Trajectory(rmsprop, 1, 2, 1));
    }

    [Fact]
    public void RmsPropPlain()
    {
        // lr 0.1, α 0.75, eps 0, θ0 = 0, g = 2: v = 0.25·4 = 1, θ = −0.1·2/1 = −0.2;
        // g = 2 again: v = 0.75 + 1 = 1.75, θ = −0.2 − 0.2/√1.75
        var rmsprop = OptimizerHarness.Create("rmsprop", new JsonObject { ["lr"] = 0.1, ["alpha"] = 0.75, ["eps"] = 0 });
        Near([-0.2, -0.2 - 0.2 / Math.Sqrt(1.75)], OptimizerHarness.Trajectory(rmsprop, 0, 2, 2));
    }

    [Fact]
    public void AdamCorrectsTheBiasOfBothMoments()
    {
        // lr 0.1, β 0.9/0.999, eps 0, θ0 = 1, g = 2 then 1.
        // 1: m = 0.2, v = 0.004, c1 = 0.1, c2 = 0.001: m̂ = 2, v̂ = 4, θ = 1 − 0.1·2/2 = 0.9
        // 2: m = 0.18 + 0.1 = 0.28, v = 0.003996 + 0.001 = 0.004996, c1 = 0.19, c2 = 0.001999,
        //    θ = 0.9 − 0.1·(0.28/0.19)/√(0.004996/0.001999)
        var adam = OptimizerHarness.Create("adam", new JsonObject { ["lr"] = 0.1, ["eps"] = 0 });
        Near([0.9, 0.9 - 0.1 * (0.28 / 0.19) / Math.Sqrt(0.004996 / 0.001999)], OptimizerHarness.Trajectory(adam, 1, 2, 1));
    }

    [Fact]
    public void AmsGradKeepsTheLargestSecondMoment()
    {
        // lr 0.1, β2 0.5, eps 0, θ0 = 1, g = 2 then 0.
        // 1: m = 0.2, v = 2, c1 = 0.1, c2 = 0.5: θ = 1 − 0.1·2/√4 = 0.9
        // 2: m = 0.18, v = 1 < v̂ = 2, c1 = 0.19, c2 = 0.75: θ = 0.9 − 0.1·(0.18/0.19)/(√2/√0.75)
        var adam = OptimizerHarness.Create("adam", new JsonObject { ["lr"] = 0.1, ["beta2"] = 0.5, ["eps"] = 0, ["amsgrad"] = true });
        Near([0.9, 0.9 - 0.1 * (0.18 / 0.19) / (Math.Sqrt(2) / Math.Sqrt(0.75))], OptimizerHarness.Trajectory(adam, 1, 2, 0));
    }

    [Fact]
    public void AdamAddsWeightDecayToTheGradientButAdamWDecaysTheWeight()
    {
        // θ0 = 1, g = 2, lr 0.1, wd 0.5, eps 0.
        // Adam: g' = 2.5; the first step is lr·sign(g') → 0.9.
        // AdamW: θ·(1 − 0.1·0.5) = 0.95, then −0.1 → 0.85.
        var adam = OptimizerHarness.Create("adam", new JsonObject { ["lr"] = 0.1, ["eps"] = 0, ["weight_decay"] = 0.5 });
        var adamw = OptimizerHarness.Create("adamw", new JsonObject { ["lr"] = 0.1, ["eps"] = 0, ["weight_decay"] = 0.5 });
        Near([0.9], OptimizerHarness.Trajectory(adam, 1, 2));
        Near([0.85], OptimizerHarness.Trajectory(adamw, 1, 2));
    }

    [Fact]
    public void RAdamTakesMomentumStepsUntilTheVarianceIsTractable()
    {
        // β2 0.999: ρ∞ = 1999, ρ1 = 1999 − 2·0.999/0.001 = 1 ≤ 5, so the first steps are θ −= lr·m/c1.
        // lr 0.1, θ0 = 1, g = 2 then 1: 1: m̂ = 2, θ = 0.8; 2: m = 0.28, c1 = 0.19, θ = 0.8 − 0.1·0.28/0.19
        var radam = OptimizerHarness.Create("radam", new JsonObject { ["lr"] = 0.1 });
        Near([0.8, 0.8 - 0.1 * 0.28 / 0.19], OptimizerHarness.Trajectory(radam, 1, 2, 1));
    }

    [Fact]
    public void RAdamSwitchesToTheRectifiedStepWhenRhoExceedsFive()
    {
        // β2 0.9: ρ∞ = 19; ρ5 = 19 − 10·0.9⁵/(1 − 0.9⁵) = 19 − 14.4195 = 4.58 ≤ 5; ρ6 = 19 − 12·0.9⁶/(1 − 0.9⁶) = 5.3895 > 5.
        double rho6 = 19 - 12 * Math.Pow(0.9, 6) / (1 - Math.Pow(0.9, 6));
        double r6 = Math.Sqrt((rho6 - 4) * (rho6 - 2) * 19 / (15.0 * 17.0 * rho6));
        Assert.Equal(0, RAdamOptimizer.Rectification(5, 0.9));
        Assert.Equal(r6, RAdamOptimizer.Rectification(6, 0.9), 12);
        Assert.InRange(rho6, 5.38, 5.40);
        // With g = 1 every step, m/c1 = 1 and v/c2 = 1: five steps of −lr, then −lr·r6·√c2/√v = −lr·r6.
        var radam = OptimizerHarness.Create("radam", new JsonObject { ["lr"] = 0.1, ["beta1"] = 0.9, ["beta2"] = 0.9, ["eps"] = 0 });
        Near([-0.1, -0.2, -0.3, -0.4, -0.5, -0.5 - 0.1 * r6], OptimizerHarness.Trajectory(radam, 0, 1, 1, 1, 1, 1, 1));
    }

    [Fact]
    public void LookaheadPullsTheSlowWeightsEveryKSteps()
    {
        // inner sgd lr 0.1, k 2, α 0.5, θ0 = 1, g = 1: fast 0.9, 0.8 → slow 1 + 0.5·(0.8 − 1) = 0.9 = θ;
        // fast 0.8, 0.7 → slow 0.9 + 0.5·(0.7 − 0.9) = 0.8 = θ.
        var lookahead = OptimizerHarness.Create("lookahead", new JsonObject { ["inner"] = new JsonObject { ["name"] = "sgd", ["lr"] = 0.1 }, ["k"] = 2, ["alpha"] = 0.5 });
        Near([0.9, 0.9, 0.8, 0.8], OptimizerHarness.Trajectory(lookahead, 1, 1, 1, 1, 1));
    }

    [Fact]
    public void LookaheadLrOverridesTheInnerRate()
    {
        using var lookahead = OptimizerHarness.Create("lookahead", new JsonObject { ["inner"] = "adam", ["lr"] = 0.25 });
        Assert.Equal(0.25, lookahead.LearningRate);
        Assert.Equal("adam", ((LookaheadOptimizer)lookahead).Inner.Name);
    }

    [Fact]
    public void RangerIsRAdamInsideLookahead()
    {
        // β2 0.999: ρ1…ρ5 = 1, 2.0, 3.0, 4.0, 4.996 ≤ 5, so with g = 1 RAdam moves θ by −lr·m/c1 = −lr each
        // step. lr 0.1, k 5, θ0 = 0: −0.1 … −0.4, then −0.5 and at step 5 slow = 0 + 0.5·(−0.5 − 0) = −0.25 = θ.
        var ranger = OptimizerHarness.Create("ranger", new JsonObject { ["lr"] = 0.1, ["k"] = 5 });
        Near([-0.1, -0.2, -0.3, -0.4, -0.25], OptimizerHarness.Trajectory(ranger, 0, 1, 1, 1, 1, 1));
    }
}
