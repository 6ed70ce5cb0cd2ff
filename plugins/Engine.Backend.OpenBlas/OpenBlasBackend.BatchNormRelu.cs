namespace Engine.Backend.OpenBlas;

public sealed partial class OpenBlasBackend
{
    /// <summary>Whether training passes run batch norm + ReLU as one pass each way (true, the default) or as two layers (false): <c>ENGINE_BN_RELU_FUSION=on|off</c>.</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both in one process.</remarks>
    internal static bool BatchNormReluFusion { get; set; } = WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_BN_RELU_FUSION")) != false;

    /// <inheritdoc/>
    /// <remarks>
    /// Float on the 512-bit batch norm path (<see cref="BatchNormVector"/>): the normalising pass writes
    /// max(x·a + b, 0), and backward recomputes the mask [x·a + b &gt; 0] from x, γ, β and the saved
    /// statistics with the forward's arithmetic as it reads dy and x, which it reads anyway. The ReLU
    /// layer's forward pass (read 1, write 1) and backward pass (read 2, write 1) over the tensor are
    /// gone; the bits are those of the two layers.
    /// </remarks>
    public bool FusesBatchNormRelu(DataType dataType) => dataType == DataType.Float32 && BatchNormVector.Enabled && BatchNormReluFusion;

    /// <inheritdoc/>
    public void BatchNormReluForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum)
    {
        const string op = "BatchNormReluForward";
        ThrowIfDisposed();
        if (!FusesBatchNormRelu(x.DataType))
        {
            BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training: true);
            ActivationForward(Activation.Relu, y, y);
            return;
        }
        BatchNormForwardChecked(op, x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training: true, relu: true);
    }

    /// <inheritdoc/>
    /// <remarks>y is not read: the mask is recomputed from x (<see cref="FusesBatchNormRelu"/>).</remarks>
    public void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor savedMean, Tensor savedInvStd,
        Tensor dx, Tensor dGamma, Tensor dBeta)
    {
        const string op = "BatchNormReluBackward";
        ThrowIfDisposed();
        (int batch, int channels, int spatial) = BackendContract.BatchNormReluBackward(this, x, y, dy, gamma, beta, savedMean, savedInvStd, dx, dGamma, dBeta);
        if (!FusesBatchNormRelu(x.DataType))
        {
            throw new NotSupportedException($"{op}: backend '{Name}' fuses batch norm and ReLU for float on its 512-bit path only (ENGINE_BATCH_NORM, ENGINE_BN_RELU_FUSION); got {x.DataType}");
        }
        NormalizationKernels.BatchNormBackward(x.DataType, new ChannelPlanes(batch, channels, spatial), Address(x, op, "x"), Address(dy, op, "dy"),
            Address(gamma, op, "gamma"), Address(savedMean, op, "savedMean"), Address(savedInvStd, op, "savedInvStd"),
            Address(dx, op, "dx"), Address(dGamma, op, "dGamma"), Address(dBeta, op, "dBeta"), reluBeta: Address(beta, op, "beta"));
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        GC.KeepAlive(dy);
        GC.KeepAlive(gamma);
        GC.KeepAlive(beta);
        GC.KeepAlive(savedMean);
        GC.KeepAlive(savedInvStd);
        GC.KeepAlive(dx);
        GC.KeepAlive(dGamma);
        GC.KeepAlive(dBeta);
    }
}
