using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>Each schedule's rate at chosen steps, worked out by hand; the factory's three input forms and its errors.</summary>
public sealed class LearningRateScheduleTests
{
    // A run of 10 epochs of 100 steps from lr 0.1.
    private static readonly ScheduleContext Run = new(0.1, 10, 100);

    private static ILearningRateSchedule Parse(string text) => LearningRateSchedules.Parse(text, Run);

    [Fact]
    public void StepDropsByGammaEveryStepSizeEpochs()
    {
        var s = Parse("step:step_size=3,gamma=0.5");
        // epochs 0–2: 0.1; 3–5: 0.05; 6–8: 0.025 (step 299 is epoch 2, step 300 epoch 3)
        Assert.Equal(0.1, s.RateAt(299, 100), 15);
        Assert.Equal(0.05, s.RateAt(300, 100), 15);
        Assert.Equal(0.025, s.RateAt(650, 100), 15);
    }

    [Fact]
    public void MultiStepDropsAtEachMilestone()
    {
        var s = Parse("multistep:milestones=2/5,gamma=0.1");
        Assert.Equal(0.1, s.RateAt(199, 100), 15);
        Assert.Equal(0.01, s.RateAt(200, 100), 15);
        Assert.Equal(0.01, s.RateAt(499, 100), 15);
        Assert.Equal(0.001, s.RateAt(500, 100), 15);
    }

    [Fact]
    public void ExponentialMultipliesByGammaPerEpoch()
    {
        var s = Parse("exponential:gamma=0.5");
        Assert.Equal(0.1, s.RateAt(99, 100), 15);
        Assert.Equal(0.0125, s.RateAt(300, 100), 15); // 0.1·0.5³
    }

    [Fact]
    public void InverseTimeCountsEpochsOrSteps()
    {
        // per epoch: step 250 is epoch 2 → 0.1/(1 + 0.5·2) = 0.05; per step: 0.1/(1 + 0.01·250) = 0.1/3.5
        Assert.Equal(0.05, Parse("inverse-time:decay=0.5").RateAt(250, 100), 15);
        Assert.Equal(0.1 / 3.5, Parse("inverse-time:decay=0.01,per=step").RateAt(250, 100), 15);
    }

    [Fact]
    public void CosineAnnealsToMinOverTheRun()
    {
        var s = Parse("cosine:min_lr=0.02");
        // T = 1000: step 0 → 0.1; step 500 (half) → 0.02 + 0.08·(1 + cos π/2)/2 = 0.06;
        // step 250 → 0.02 + 0.08·(1 + √½)/2; from step 1000 on → 0.02
        Assert.Equal(0.1, s.RateAt(0, 100), 15);
        Assert.Equal(0.06, s.RateAt(500, 100), 15);
        Assert.Equal(0.02 + 0.04 * (1 + Math.Sqrt(0.5)), s.RateAt(250, 100), 15);
        Assert.Equal(0.02, s.RateAt(1000, 100), 15);
        Assert.Equal(0.02, s.RateAt(5000, 100), 15);
    }

    [Fact]
    public void WarmupRisesLinearlyThenHandsOverToTheNextScheduleForTheRestOfTheRun()
    {
        var s = Parse("warmup:steps=200,then=cosine,then.min_lr=0");
        // steps 0…199: 0.1·(s + 1)/200; then cosine over the remaining 800 steps
        Assert.Equal(0.1 / 200, s.RateAt(0, 100), 15);
        Assert.Equal(0.05, s.RateAt(99, 100), 15);
        Assert.Equal(0.1, s.RateAt(199, 100), 15);
        Assert.Equal(0.1, s.RateAt(200, 100), 15);
        Assert.Equal(0.05, s.RateAt(600, 100), 15); // 400 of 800 cosine steps: half way
        Assert.Equal(0, s.RateAt(1000, 100), 15);
    }

    [Fact]
    public void WarmupInEpochsDefaultsToConstant()
    {
        var s = Parse("warmup:epochs=1");
        Assert.Equal(0.1 * 50 / 100, s.RateAt(49, 100), 15);
        Assert.Equal(0.1, s.RateAt(100, 100), 15);
        Assert.Equal(0.1, s.RateAt(900, 100), 15);
    }

    [Fact]
    public void JsonObjectsAndTheCompactFormAgree()
    {
        var json = LearningRateSchedules.FromJson(new JsonObject
        {
            ["name"] = "warmup",
            ["steps"] = 50,
            ["then"] = new JsonObject { ["name"] = "step", ["step_size"] = 2, ["gamma"] = 0.5 },
        }, Run);
        var compact = Parse("warmup:then.step_size=2,steps=50,then=step,then.gamma=0.5");
        foreach (long step in new long[] { 0, 49, 50, 249, 250, 999 })
        {
            Assert.Equal(json.RateAt(step, 100), compact.RateAt(step, 100));
        }
        Assert.Equal(0.05, json.RateAt(250, 100), 15); // 200 steps after the warm-up: epoch 2 of the step schedule
        Assert.Equal("constant 0.1", Parse("constant").Description);
    }

    [Theory]
    [InlineData("step", "step_size")]
    [InlineData("step:step_size=0", "step_size")]
    [InlineData("exponential:gamma=-1", "gamma")]
    [InlineData("multistep:milestones=5/2", "milestones")]
    [InlineData("inverse-time:decay=1,per=hour", "hour")]
    [InlineData("cosine:min=0.1", "'min'")]
    [InlineData("warmup:steps=10,epochs=1", "steps")]
    [InlineData("warmup:steps=10,then=linear", "linear")]
    [InlineData("sawtooth", "sawtooth")]
    [InlineData("step:step_size", "step_size")]
    public void BadSpecificationsAreErrorsNamingTheScheduleAndArgument(string text, string named)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse(text));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void CosineWithoutARunLengthAsksForTotalSteps()
    {
        var e = Assert.Throws<ConfigurationException>(() => LearningRateSchedules.Parse("cosine", new ScheduleContext(0.1, 0, 0)));
        Assert.Contains("total_steps", e.Message);
        Assert.Equal(0.05, LearningRateSchedules.Parse("cosine:total_steps=10", new ScheduleContext(0.1, 0, 0)).RateAt(5, 0), 15);
    }
}
