using System.Globalization;
using Engine.Core.Distributed;

namespace Engine.Cli;

/// <summary>
/// Measurement knobs of data-parallel training, read from the environment so that one command line
/// can be timed both ways: <c>ENGINE_GRADIENT_OVERLAP=off</c> sends every gradient after backward
/// (<see cref="DistributedOptions.Overlap"/>; on by default), <c>ENGINE_GRADIENT_BUCKET=N</c> sets the
/// elements per bucket (<see cref="DistributedOptions.BucketElements"/>, default 1 Mi).
/// </summary>
internal static class DistributedTuning
{
    public const string OverlapVariable = "ENGINE_GRADIENT_OVERLAP";
    public const string BucketVariable = "ENGINE_GRADIENT_BUCKET";

    /// <summary>The options with the environment's settings (<paramref name="variable"/>: how to read one; the process environment by default).</summary>
    public static DistributedOptions Apply(DistributedOptions options, Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        string? overlap = variable(OverlapVariable);
        if (overlap is not null)
        {
            options = overlap switch
            {
                "on" => options with { Overlap = true },
                "off" => options with { Overlap = false },
                _ => throw new ConfigurationException($"{OverlapVariable} must be 'on' or 'off', got '{overlap}'"),
            };
        }
        string? bucket = variable(BucketVariable);
        if (bucket is not null)
        {
            if (!int.TryParse(bucket, NumberStyles.None, CultureInfo.InvariantCulture, out int elements) || elements < 1)
            {
                throw new ConfigurationException($"{BucketVariable} must be a positive number of gradient elements per bucket, got '{bucket}'");
            }
            options = options with { BucketElements = elements };
        }
        return options;
    }
}
