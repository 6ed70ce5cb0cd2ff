namespace Engine;

/// <summary>Batch normalisation and local response normalisation.</summary>
public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.BatchNormForward"/>: x (N×C×… or N×C) and y (x's shape, may be x) and the
    /// six per-channel vectors (C elements each) are floating-point operands of one data type; ε is
    /// finite and &gt; 0; momentum is in [0, 1]; training needs at least two values per channel
    /// (N·S ≥ 2), as the unbiased variance does. Semantics: statistics accumulate in double; the
    /// variance is a second pass over (x − mean)²; savedInvStd = 1/√(var + ε) with the biased
    /// variance, the running variance takes the unbiased one (PyTorch).
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) BatchNormForward(IBackend backend, Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVariance, Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum, bool training)
    {
        const string op = "BatchNormForward";
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Written(y);
        Operand(backend, op, "gamma", gamma);
        Operand(backend, op, "beta", beta);
        Operand(backend, op, "runningMean", runningMean);
        Operand(backend, op, "runningVariance", runningVariance);
        Operand(backend, op, "savedMean", savedMean);
        Written(savedMean);
        Operand(backend, op, "savedInvStd", savedInvStd);
        Written(savedInvStd);
        var layout = Channels(op, "x", x);
        int channels = layout.Channels;
        SameType(op, "x", x, "y", y);
        SameShape(op, "y", y, "x", x);
        ChannelVector(op, x, channels, "gamma", gamma);
        ChannelVector(op, x, channels, "beta", beta);
        ChannelVector(op, x, channels, "runningMean", runningMean);
        ChannelVector(op, x, channels, "runningVariance", runningVariance);
        ChannelVector(op, x, channels, "savedMean", savedMean);
        ChannelVector(op, x, channels, "savedInvStd", savedInvStd);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{op}: epsilon must be a finite number > 0");
        }
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{op}: momentum must be in [0, 1]");
        }
        if (training && (long)layout.Batch * layout.Spatial < 2)
        {
            throw new ShapeException($"{op}: x is {x.Shape}, which has {(long)layout.Batch * layout.Spatial} value(s) per channel; training needs at least 2 to estimate a variance");
        }
        if (training)
        {
            // Inference only reads the running statistics: their version stays, so what was derived from them stays valid.
            Written(runningMean);
            Written(runningVariance);
        }
        return layout;
    }

    /// <summary>
    /// <see cref="IBackend.BatchNormBackward"/>: x, dy and dx (one shape) and gamma, savedMean,
    /// savedInvStd, dGamma, dBeta (C elements) are floating-point operands of one data type; dx
    /// shares memory with neither x nor dy. With x̂ = (x − μ)·s and M = N·S values per channel:
    /// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·s·(dy − dβ/M − x̂·dγ/M).
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) BatchNormBackward(IBackend backend, Tensor x, Tensor dy, Tensor gamma,
        Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) =>
        CheckBatchNormBackward("BatchNormBackward", backend, x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);

    private static (int Batch, int Channels, int Spatial) CheckBatchNormBackward(string op, IBackend backend, Tensor x, Tensor dy, Tensor gamma,
        Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        Operand(backend, op, "x", x);
        Operand(backend, op, "dy", dy);
        Operand(backend, op, "gamma", gamma);
        Operand(backend, op, "savedMean", savedMean);
        Operand(backend, op, "savedInvStd", savedInvStd);
        Operand(backend, op, "dx", dx);
        Written(dx);
        Operand(backend, op, "dGamma", dGamma);
        Written(dGamma);
        Operand(backend, op, "dBeta", dBeta);
        Written(dBeta);
        var layout = Channels(op, "x", x);
        int channels = layout.Channels;
        SameType(op, "x", x, "dy", dy);
        SameType(op, "x", x, "dx", dx);
        SameShape(op, "dy", dy, "x", x);
        SameShape(op, "dx", dx, "x", x);
        ChannelVector(op, x, channels, "gamma", gamma);
        ChannelVector(op, x, channels, "savedMean", savedMean);
        ChannelVector(op, x, channels, "savedInvStd", savedInvStd);
        ChannelVector(op, x, channels, "dGamma", dGamma);
        ChannelVector(op, x, channels, "dBeta", dBeta);
        NotShared(op, "dx", dx, "x", x);
        NotShared(op, "dx", dx, "dy", dy);
        return layout;
    }

    /// <summary>
    /// <see cref="IBackend.BatchNormReluBackward"/>: <see cref="BatchNormBackward"/>'s rules, with beta a
    /// C-element vector and y (the fused forward's output) of x's shape and type; dx shares memory with
    /// none of x, y and dy.
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) BatchNormReluBackward(IBackend backend, Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta,
        Tensor savedMean, Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        const string op = "BatchNormReluBackward";
        var layout = CheckBatchNormBackward(op, backend, x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
        Operand(backend, op, "y", y);
        Operand(backend, op, "beta", beta);
        SameType(op, "x", x, "y", y);
        SameShape(op, "y", y, "x", x);
        ChannelVector(op, x, layout.Channels, "beta", beta);
        NotShared(op, "dx", dx, "y", y);
        return layout;
    }

    /// <summary>
    /// <see cref="IBackend.LrnForward"/>: size ≥ 1, finite α ≥ 0, finite β and finite k &gt; 0 (so the
    /// scale stays positive); x (N×C×…), y and scale (x's shape) are floating-point operands of one
    /// data type, no two sharing memory. Semantics: the window of channel c is
    /// [c − ⌊n/2⌋, c + ⌊(n − 1)/2⌋] clipped at the edges (PyTorch's placement), the sum of squares is
    /// always divided by n, scale ← k + α/n·Σ a² is saved for backward and y = x·scale^(−β).
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) LrnForward(IBackend backend, LrnParameters parameters, Tensor x, Tensor y, Tensor scale)
    {
        const string op = "LrnForward";
        LrnCheckParameters(op, parameters);
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Written(y);
        Operand(backend, op, "scale", scale);
        Written(scale);
        var layout = Channels(op, "x", x);
        SameType(op, "x", x, "y", y);
        SameType(op, "x", x, "scale", scale);
        SameShape(op, "y", y, "x", x);
        SameShape(op, "scale", scale, "x", x);
        NotShared(op, "x", x, "y", y);
        NotShared(op, "x", x, "scale", scale);
        NotShared(op, "y", y, "scale", scale);
        return layout;
    }

    /// <summary>
    /// <see cref="IBackend.LrnBackward"/>: parameters as <see cref="LrnForward"/>; x, y, scale (the
    /// one forward saved), dy and dx share x's shape and data type; dx shares memory with none of the
    /// others. With s the saved scale and b = a·s^(−β): dx_i = dy_i·s_i^(−β) − (2αβ/n)·a_i·Σ_c dy_c·b_c/s_c,
    /// the sum over the channels c whose window holds i.
    /// </summary>
    /// <returns>N, C and S of x.</returns>
    public static (int Batch, int Channels, int Spatial) LrnBackward(IBackend backend, LrnParameters parameters, Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx)
    {
        const string op = "LrnBackward";
        LrnCheckParameters(op, parameters);
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Operand(backend, op, "scale", scale);
        Operand(backend, op, "dy", dy);
        Operand(backend, op, "dx", dx);
        Written(dx);
        var layout = Channels(op, "x", x);
        SameType(op, "x", x, "y", y);
        SameType(op, "x", x, "scale", scale);
        SameType(op, "x", x, "dy", dy);
        SameType(op, "x", x, "dx", dx);
        SameShape(op, "y", y, "x", x);
        SameShape(op, "scale", scale, "x", x);
        SameShape(op, "dy", dy, "x", x);
        SameShape(op, "dx", dx, "x", x);
        NotShared(op, "dx", dx, "x", x);
        NotShared(op, "dx", dx, "y", y);
        NotShared(op, "dx", dx, "scale", scale);
        NotShared(op, "dx", dx, "dy", dy);
        return layout;
    }

    private static void LrnCheckParameters(string op, LrnParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Size < 1 || !(p.Alpha >= 0) || !double.IsFinite(p.Alpha) || !double.IsFinite(p.Beta) || !(p.K > 0) || !double.IsFinite(p.K))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p,
                $"{op}: needs size >= 1, finite alpha >= 0, finite beta and finite k > 0 (so the scale stays positive); got size {p.Size}, alpha {p.Alpha}, beta {p.Beta}, k {p.K}");
        }
    }
}
