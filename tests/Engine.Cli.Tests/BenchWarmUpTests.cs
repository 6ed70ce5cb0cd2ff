using System.Diagnostics;
using System.Reflection.Emit;

namespace Engine.Cli.Tests;

public sealed class BenchWarmUpTests
{
    [Fact]
    public void StopsOnceTheJitHasBeenQuietForTheGivenTime()
    {
        int trained = 0, inferred = 0;
        var clock = Stopwatch.StartNew();
        // A step takes a millisecond, as a real one takes more: other test classes compiling in this process can keep
        // the JIT busy for seconds, and an empty step counted past int.MaxValue in that time.
        (int steps, bool settled) = BenchWarmUp.UntilJitQuiet(i => { trained = Math.Max(trained, i + 1); Thread.Sleep(1); }, _ => inferred++, next: 7,
            quiet: TimeSpan.FromMilliseconds(200), limit: TimeSpan.FromSeconds(30));
        Assert.True(settled);
        // Steps continue the caller's numbering, ten per inference step.
        Assert.Equal(7 + steps, trained);
        Assert.Equal(steps / 10, inferred);
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 200, 29_000);
    }

    [Fact]
    public void AStepThatKeepsTheJitBusyRunsUntilTheLimitAndSaysItDidNotSettle()
    {
        // Every step compiles a new method, as tiered compilation's background recompiles do during a short warm-up.
        int compiled = 0;
        void Compile(int _)
        {
            var method = new DynamicMethod($"m{compiled++}", typeof(int), [typeof(int)]);
            ILGenerator il = method.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I4_1);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Ret);
            Assert.Equal(2, ((Func<int, int>)method.CreateDelegate(typeof(Func<int, int>)))(1));
        }
        var clock = Stopwatch.StartNew();
        (int steps, bool settled) = BenchWarmUp.UntilJitQuiet(Compile, _ => { }, next: 0,
            quiet: TimeSpan.FromMilliseconds(200), limit: TimeSpan.FromMilliseconds(1500));
        // Quiet steps would have settled after 0.2 s (the test above).
        Assert.False(settled);
        Assert.Equal(steps, compiled);
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 1500, 60_000);
    }
}
