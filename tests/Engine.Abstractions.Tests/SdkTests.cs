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
        // An older minor (delta -1) is the .0 release when the host is itself at minor 0.
        Assert.Equal(compatible, EngineSdk.IsCompatible(new Version(EngineSdk.Major + majorDelta, Math.Max(0, EngineSdk.Minor + minorDelta))));
    }

    [Fact]
    public void ThisIsSdk2()
    {
        Assert.Equal(new Version(2, 0), EngineSdk.Version);
        Assert.Equal(new Version(2, 0, 0, 0), typeof(EngineSdk).Assembly.GetName().Version);
        Assert.False(EngineSdk.IsCompatible(new Version(1, 2)));
    }

    [Fact]
    public void ModelBuilderNamesNoConcreteLayer()
    {
        // Typed helpers (Conv2d, Dense, …) belong to the plugin that registers those layers.
        var methods = typeof(ModelBuilder)
            .GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName)
            .Select(m => m.Name)
            .Distinct()
            .Order(StringComparer.Ordinal);
        // AuxiliaryOutput marks a graph output and Repeat repeats a block (any layer kinds): structure, not layer helpers.
        Assert.Equal(["Add", "AuxiliaryOutput", "Build", "Repeat"], methods);
        ModelSpec aux = new ModelBuilder("a").Add("flatten", name: "f").Add("dense", null, "side").AuxiliaryOutput("side", 0.3).Add("dense", null, "out", "f").Build();
        Assert.Equal([new AuxiliaryOutput("side", 0.3)], aux.AuxiliaryOutputs);
        Assert.Equal("model 'a': auxiliary output 'later' is not a named layer added so far",
            Assert.Throws<ConfigurationException>(() => new ModelBuilder("a").Add("flatten", name: "f").AuxiliaryOutput("later", 0.3)).Message);
        Assert.Contains("got 0", Assert.Throws<ConfigurationException>(() => new ModelBuilder("a").Add("flatten", name: "f").AuxiliaryOutput("f", 0)).Message);
        var spec = new ModelBuilder("m").Add("flatten").Add("my_layer", new System.Text.Json.Nodes.JsonObject { ["units"] = 3 }, "x").Build();
        Assert.Equal(["flatten", "my_layer"], spec.Layers.Select(l => l.Kind));
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
