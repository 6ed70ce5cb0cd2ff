using System.Globalization;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-residual [rounds]</c>: <see cref="ConvolutionResidualBenchmarks"/>' two methods alternating per
/// round on each case, least thread CPU time of the rounds (one worker), which a loaded machine distorts far
/// less than BenchmarkDotNet's wall clock.
/// </summary>
internal static class QuickResidual
{
    public static void Run(int rounds)
    {
        Console.WriteLine($"ms, least thread CPU time of {rounds} alternating calls, one worker: separate calls / residual in the epilogue");
        foreach (string layer in ConvolutionResidualBenchmarks.Layers())
        {
            var bench = new ConvolutionResidualBenchmarks { Case = layer };
            bench.Setup();
            try
            {
                double separate = double.MaxValue, fused = double.MaxValue;
                for (int r = 0; r < rounds; r++)
                {
                    double t0 = QuickPacked.Now(false);
                    bench.Separate();
                    double t1 = QuickPacked.Now(false);
                    bench.InEpilogue();
                    double t2 = QuickPacked.Now(false);
                    separate = Math.Min(separate, t1 - t0);
                    fused = Math.Min(fused, t2 - t1);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{layer,-20} {separate,8:F3} {fused,8:F3}  ratio {separate / fused:F2}"));
            }
            finally
            {
                bench.Cleanup();
            }
        }
    }
}
