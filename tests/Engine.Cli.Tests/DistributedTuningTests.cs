using Engine.Core.Distributed;

namespace Engine.Cli.Tests;

/// <summary>ENGINE_GRADIENT_OVERLAP and ENGINE_GRADIENT_BUCKET, the measurement knobs of data-parallel training.</summary>
public sealed class DistributedTuningTests
{
    private static readonly DistributedOptions Defaults = new(new NoRanks());

    [Fact]
    public void UnsetVariablesKeepTheDefaults()
    {
        DistributedOptions options = DistributedTuning.Apply(Defaults, _ => null);
        Assert.True(options.Overlap);
        Assert.Equal(1 << 20, options.BucketElements);
    }

    [Fact]
    public void OverlapOffAndABucketSizeAreTaken()
    {
        var environment = new Dictionary<string, string> { ["ENGINE_GRADIENT_OVERLAP"] = "off", ["ENGINE_GRADIENT_BUCKET"] = "4096" };
        DistributedOptions options = DistributedTuning.Apply(Defaults, name => environment.GetValueOrDefault(name));
        Assert.False(options.Overlap);
        Assert.Equal(4096, options.BucketElements);
    }

    [Theory]
    [InlineData("ENGINE_GRADIENT_OVERLAP", "no", "ENGINE_GRADIENT_OVERLAP must be 'on' or 'off', got 'no'")]
    [InlineData("ENGINE_GRADIENT_BUCKET", "0", "ENGINE_GRADIENT_BUCKET must be a positive number of gradient elements per bucket, got '0'")]
    [InlineData("ENGINE_GRADIENT_BUCKET", "4 MiB", "ENGINE_GRADIENT_BUCKET must be a positive number of gradient elements per bucket, got '4 MiB'")]
    public void AnotherValueIsRefusedNamingTheVariable(string name, string value, string message)
    {
        var refused = Assert.Throws<ConfigurationException>(() => DistributedTuning.Apply(Defaults, n => n == name ? value : null));
        Assert.Equal(message, refused.Message);
    }

    // A communicator the options only hold: nothing is summed.
    private sealed class NoRanks : ICommunicator
    {
        public int Rank => 0;

        public int Size => 1;

        public void Sum(Span<double> values) => throw new NotSupportedException();

        public void Min(Span<long> values) => throw new NotSupportedException();

        public ulong[] Gather(ReadOnlySpan<ulong> values) => throw new NotSupportedException();

        public void Exchange(int partner, ReadOnlySpan<float> send, Span<float> receive) => throw new NotSupportedException();

        public IAsyncSum CreateSum(float[] buffer) => throw new NotSupportedException();

        public void Abort(int exitCode) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
