namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The vector SGD step (<see cref="SgdVector"/>) against the plain loop of <see cref="OptimizerKernels"/>,
/// bit for bit: plain, weight decay, momentum (first step and later), dampening, Nesterov, on
/// lengths with and without a scalar tail and one large enough to be split over the pool.
/// </summary>
public sealed unsafe class SgdVectorTests
{
    public static TheoryData<double, double, double, bool, bool> Settings => new()
    {
        { 0, 0, 0, false, false },
        { 1e-4, 0, 0, false, false },
        { 1e-4, 0.9, 0, false, true },
        { 1e-4, 0.9, 0, false, false },
        { 5e-4, 0.9, 0.1, false, false },
        { 0, 0.9, 0, true, false },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void StepIsBitIdenticalToThePlainLoop(double weightDecay, double momentum, double dampening, bool nesterov, bool firstStep)
    {
        var h = new UpdateHyperparameters
        {
            LearningRate = 0.05,
            WeightDecay = weightDecay,
            Momentum = momentum,
            Dampening = dampening,
            Nesterov = nesterov,
            FirstStep = firstStep,
        };
        var rng = new Random(9);
        foreach (int count in new[] { 7, 64, 1003, 70_001 })
        {
            float[] value = PoolSimdTests.Random(rng, count), gradient = PoolSimdTests.Random(rng, count), buffer = PoolSimdTests.Random(rng, count);
            float[] plainValue = (float[])value.Clone(), plainBuffer = (float[])buffer.Clone();
            OptimizerKernels.SgdKernel<float>(h, plainValue, gradient, momentum != 0 ? plainBuffer : []);
            fixed (float* v = value, g = gradient, b = buffer)
            {
                SgdVector.Update(h, v, g, momentum != 0 ? b : null, count);
            }
            PoolSimdTests.AssertBits(plainValue, value, $"value, {count}");
            PoolSimdTests.AssertBits(plainBuffer, buffer, $"buffer, {count}");
        }
    }
}
