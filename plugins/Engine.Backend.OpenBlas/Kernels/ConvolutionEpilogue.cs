using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// What a forward convolution applies to each sample's output right after computing it, while that
/// output is still in cache: y[c, …] ← f(scale[c]·y[c, …] + shift[c]) (<see cref="IBackend.ChannelAffine"/>,
/// through <see cref="ChannelAffineKernels.Plane{T}"/>, so the result is bit for bit that of the
/// convolution followed by the separate pass). The default value applies nothing.
/// </summary>
internal readonly unsafe struct ConvolutionEpilogue(nint scale, nint shift, Activation? activation, double alpha)
{
    /// <summary>Whether there is anything to apply.</summary>
    public bool IsSet => scale != 0;

    /// <summary>The per-channel scale, shift and activation, for kernels that apply them in registers (<see cref="DirectConvolution"/>).</summary>
    public nint Scale => scale;

    /// <inheritdoc cref="Scale"/>
    public nint Shift => shift;

    /// <inheritdoc cref="Scale"/>
    public Activation? Activation => activation;

    /// <summary>Applies the epilogue to a whole batch as one parallel pass (for kernels that do not go sample by sample).</summary>
    public void ApplyToBatch<T>(T* y, int batch, int filters, int positions) where T : unmanaged
    {
        if (IsSet)
        {
            ChannelAffineKernels.Run(typeof(T) == typeof(float) ? DataType.Float32 : DataType.Float64, (nint)y, scale, shift, (nint)y,
                batch, filters, positions, activation, alpha);
        }
    }

    /// <summary>Applies the epilogue to <paramref name="samples"/> consecutive samples' outputs (filters × positions each).</summary>
    public void Apply<T>(T* y, int samples, int filters, int positions) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsSet)
        {
            return;
        }
        T* s = (T*)scale, b = (T*)shift;
        T a = T.CreateTruncating(alpha);
        for (int n = 0; n < samples; n++)
        {
            for (int k = 0; k < filters; k++)
            {
                var plane = new Span<T>(y + ((long)n * filters + k) * positions, positions);
                ChannelAffineKernels.Plane<T>(plane, s[k], b[k], plane, activation, a);
            }
        }
    }
}
