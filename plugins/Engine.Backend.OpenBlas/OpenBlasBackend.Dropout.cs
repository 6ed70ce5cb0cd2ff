using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>Inverted-dropout masks, bit-for-bit the rule every backend follows.</summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// The comparison u ≥ p is made in double on <see cref="CounterRandom.Uniform"/> itself and the
    /// kept value 1/(1 − p) is computed in double and then rounded, so the mask cannot drift from
    /// the reference whatever the element type.
    /// </remarks>
    public void DropoutMask(Tensor mask, double p, ulong seed)
    {
        const string op = "DropoutMask";
        CpuStorage ms = Check(op, "mask", mask);
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{op}: the drop probability p must be in [0, 1)");
        }
        int n = (int)mask.ElementCount;
        if (mask.DataType == DataType.Float32)
        {
            DropoutMaskKernel(Elements<float>(ms, n), p, seed);
        }
        else
        {
            DropoutMaskKernel(Elements<double>(ms, n), p, seed);
        }
        GC.KeepAlive(ms);
    }

    private static void DropoutMaskKernel<T>(Span<T> mask, double p, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T kept = T.CreateTruncating(1.0 / (1.0 - p));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = CounterRandom.Uniform(seed, (ulong)i) >= p ? kept : T.Zero;
        }
    }
}
