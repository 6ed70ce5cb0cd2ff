namespace Engine;

public partial interface IBackend
{
    /// <summary>
    /// Whether a training pass's batch normalisation followed by ReLU runs as one pass each way
    /// (<see cref="BatchNormReluForward"/> and <see cref="BatchNormReluBackward"/>) on this backend for
    /// <paramref name="dataType"/>, with the bits of <see cref="BatchNormForward"/> then ReLU forward, and
    /// of ReLU backward then <see cref="BatchNormBackward"/>. Default: false (a network then runs the two
    /// layers one by one, and <see cref="BatchNormReluBackward"/> is not to be called).
    /// </summary>
    bool FusesBatchNormRelu(DataType dataType) => false;

    /// <summary>
    /// y ← max(batch norm of x, 0): <see cref="BatchNormForward"/> in training (batch statistics saved
    /// and folded into the running ones) with ReLU applied as y is written. The default makes the two
    /// calls, so its result is that of the two layers run one by one.
    /// </summary>
    void BatchNormReluForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVariance,
        Tensor savedMean, Tensor savedInvStd, Tensor y, double epsilon, double momentum)
    {
        BatchNormForward(x, gamma, beta, runningMean, runningVariance, savedMean, savedInvStd, y, epsilon, momentum, training: true);
        ActivationForward(Activation.Relu, y, y);
    }

    /// <summary>
    /// dx, dγ, dβ of y = max(batch norm of x, 0) from d(loss)/dy, the saved statistics and y (the
    /// output of <see cref="BatchNormReluForward"/>): <see cref="BatchNormBackward"/> of dy·[y &gt; 0],
    /// the mask applied as dy is read rather than in a pass of its own. A backend may take the mask from
    /// y or recompute it from x with the forward's arithmetic. Only where <see cref="FusesBatchNormRelu"/>
    /// answers true; the default refuses.
    /// </summary>
    void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor savedMean, Tensor savedInvStd,
        Tensor dx, Tensor dGamma, Tensor dBeta) =>
        throw new NotSupportedException($"BatchNormReluBackward: backend '{Name}' does not fuse batch norm and ReLU (FusesBatchNormRelu is false); run ReLU backward, then BatchNormBackward");
}
