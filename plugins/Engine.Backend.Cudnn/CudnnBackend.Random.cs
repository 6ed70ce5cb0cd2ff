namespace Engine.Backend.Cudnn;

/// <summary>
/// Seeded random fills and dropout masks: kernels/random.cu, which reproduces <see cref="CounterRandom"/>
/// (uniform fills and masks bit for bit; normal fills up to the last bit of CUDA's log/cos/sin).
/// The scalars the CPU derives in double (b − a, 1/(1 − p)) are computed here, identically.
/// </summary>
public sealed partial class CudnnBackend
{
    private const string RandomModule = "random";

    /// <inheritdoc/>
    public void DropoutMask(Tensor mask, double p, ulong seed)
    {
        ThrowIfDisposed();
        BackendContract.DropoutMask(this, mask, p, seed);
        SeedCaptured("DropoutMask");
        double kept = 1.0 / (1.0 - p);
        _kernels.Launch(RandomModule, "dropout_mask", mask.DataType, mask.ElementCount, mask.ElementCount, Ptr(mask), p, kept, seed);
    }

    /// <inheritdoc/>
    public void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed)
    {
        ThrowIfDisposed();
        BackendContract.FillRandom(this, x, distribution, a, b, seed);
        SeedCaptured("FillRandom");
        if (distribution == RandomDistribution.Uniform)
        {
            _kernels.Launch(RandomModule, "fill_uniform", x.DataType, x.ElementCount, x.ElementCount, Ptr(x), a, b - a, b, seed);
        }
        else
        {
            _kernels.Launch(RandomModule, "fill_normal", x.DataType, x.ElementCount, x.ElementCount, Ptr(x), a, b, seed);
        }
    }
}
