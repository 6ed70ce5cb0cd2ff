namespace Engine.Layers.Standard;

/// <summary>Batch normalisation at inference as a per-channel affine map, for folding into the layer before it.</summary>
public sealed partial class BatchNormLayer : IChannelAffineLayer
{
    /// <inheritdoc/>
    /// <remarks>
    /// scale = γ/√(σ² + ε) and shift = β + scale·(bias − μ), from the running statistics, in a few
    /// backend calls on C-element vectors (nothing is read to the host, so it stays cheap on a device).
    /// </remarks>
    public void InferenceAffine(Tensor? inputBias, Tensor scale, Tensor shift)
    {
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(shift);
        Backend.Fill(scale, epsilon);
        Backend.Binary(BinaryOp.Add, RunningVariance, scale, scale);
        Backend.Unary(UnaryOp.Sqrt, scale, scale);
        Backend.Binary(BinaryOp.Divide, _gamma!.Value, scale, scale);
        if (inputBias is null)
        {
            Backend.Binary(BinaryOp.Multiply, scale, RunningMean, shift);
            Backend.Axpby(1, _beta!.Value, -1, shift); // β − scale·μ
        }
        else
        {
            Backend.Binary(BinaryOp.Subtract, inputBias, RunningMean, shift);
            Backend.Binary(BinaryOp.Multiply, shift, scale, shift);
            Backend.Axpby(1, _beta!.Value, 1, shift);
        }
    }
}
