namespace Engine.Abstractions.Tests;

public sealed class SdkTests
{
    [Fact]
    public void AssemblyVersionMatchesSdkConstants()
    {
        // The host compares a plugin's reference to this assembly's version with EngineSdk, so they must agree.
        Version assembly = typeof(EngineSdk).Assembly.GetName().Version!;
        Assert.Equal(EngineSdk.Major, assembly.Major);
        Assert.Equal(EngineSdk.Minor, assembly.Minor);
    }

    [Theory]
    [InlineData(0, 0, true)]
    [InlineData(0, -1, true)]
    [InlineData(0, 1, false)]
    [InlineData(-1, 0, false)]
    [InlineData(1, 0, false)]
    public void CompatibilityNeedsSameMajorAndNoNewerMinor(int majorDelta, int minorDelta, bool compatible)
    {
        Assert.Equal(compatible, EngineSdk.IsCompatible(new Version(EngineSdk.Major + majorDelta, EngineSdk.Minor + minorDelta)));
    }

    [Fact]
    public void CounterRandomIsAPureFunctionOfSeedAndCounter()
    {
        Assert.Equal(CounterRandom.Uniform(7, 12345), CounterRandom.Uniform(7, 12345));
        Assert.NotEqual(CounterRandom.Uniform(7, 12345), CounterRandom.Uniform(8, 12345));
        Assert.NotEqual(CounterRandom.Uniform(7, 12345), CounterRandom.Uniform(7, 12346));
    }

    [Fact]
    public void CounterRandomHasTheRightMoments()
    {
        const int n = 200_000;
        double sumU = 0, sumN = 0, sumN2 = 0;
        for (ulong i = 0; i < n; i++)
        {
            double u = CounterRandom.Uniform(42, i);
            Assert.InRange(u, 0.0, 1.0 - double.Epsilon);
            sumU += u;
            double z = CounterRandom.Normal(42, i);
            sumN += z;
            sumN2 += z * z;
        }
        Assert.Equal(0.5, sumU / n, 2);
        Assert.Equal(0.0, sumN / n, 2);
        Assert.Equal(1.0, sumN2 / n, 1);
    }
}
