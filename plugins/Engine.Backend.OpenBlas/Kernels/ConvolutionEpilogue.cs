using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// What a forward convolution applies to each sample's output right after computing it, while that
/// output is still in cache: y[c, …] ← f(scale[c]·y[c, …] + shift[c]) (<see cref="IBackend.ChannelAffine"/>,
/// through <see cref="ChannelAffineKernels.Plane{T}"/>, so the result is bit for bit that of the
/// convolution followed by the separate pass). The default value applies nothing. With a residual
/// (<see cref="WithResidual"/>, <see cref="IBackend.TryConvolutionForwardResidual"/>): y ← f(scale[c]·y + shift[c] + r),
/// r being the residual tensor's element at y's position, the bits of the pass without f, an add and then f.
/// </summary>
internal readonly unsafe struct ConvolutionEpilogue(nint scale, nint shift, Activation? activation, double alpha)
{
    /// <summary>Whether there is anything to apply.</summary>
    public bool IsSet => scale != 0;

    /// <summary>Whether a residual is added before the activation (<see cref="WithResidual"/>).</summary>
    public bool HasResidual { get; private init; }

    /// <summary>
    /// Bytes from an element of y to the residual's element at the same position: the residual has y's
    /// shape, so any kernel that applies the epilogue to a part of y finds the matching part of it.
    /// </summary>
    private nint ResidualOffset { get; init; }

    /// <summary>This epilogue adding <paramref name="residual"/> (y's shape, y starting at <paramref name="y"/>) before the activation.</summary>
    public ConvolutionEpilogue WithResidual(nint residual, nint y) => this with { HasResidual = true, ResidualOffset = residual - y };

    /// <summary>The residual's element at y's element <paramref name="y"/> (null without a residual), for kernels that apply the epilogue in registers.</summary>
    public T* ResidualAt<T>(T* y) where T : unmanaged => HasResidual ? (T*)((byte*)y + ResidualOffset) : null;

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
                batch, filters, positions, activation, alpha, (nint)ResidualAt(y));
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
                T* at = y + ((long)n * filters + k) * positions;
                var plane = new Span<T>(at, positions);
                ChannelAffineKernels.Plane<T>(plane, s[k], b[k], plane, activation, a, HasResidual ? new ReadOnlySpan<T>(ResidualAt(at), positions) : default);
            }
        }
    }

    /// <summary>
    /// Applies the epilogue to positions [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) of
    /// one sample's output (filters × positions): a slice just computed, while it is still in cache (<see cref="ColumnSlices"/>).
    /// Element by element the same function as <see cref="Apply{T}"/>, so the same bits.
    /// </summary>
    public void ApplyColumns<T>(T* y, int filters, int positions, int first, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsSet)
        {
            return;
        }
        for (int k = 0; k < filters; k++)
        {
            ApplyPart(y + (long)k * positions + first, k, count);
        }
    }

    /// <summary>
    /// Applies filter <paramref name="filter"/>'s epilogue to <paramref name="count"/> consecutive outputs of its plane
    /// starting at <paramref name="at"/> (a few rows a kernel has just written, <see cref="WinogradConvolution"/>).
    /// </summary>
    public void ApplyPart<T>(T* at, int filter, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsSet)
        {
            return;
        }
        var part = new Span<T>(at, count);
        ChannelAffineKernels.Plane<T>(part, ((T*)scale)[filter], ((T*)shift)[filter], part, activation, T.CreateTruncating(alpha),
            HasResidual ? new ReadOnlySpan<T>(ResidualAt(at), count) : default);
    }
}
