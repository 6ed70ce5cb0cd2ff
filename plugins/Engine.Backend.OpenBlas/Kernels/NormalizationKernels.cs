using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Batch normalisation per channel. A tensor N×C×… is read as N·C contiguous planes of S spatial
/// elements; a channel's statistics run over its N planes. Sums are accumulated in double for both
/// data types, the variance in a second pass over (x − mean)² so it does not cancel, and the
/// per-element work is one vectorised multiply-add per plane.
/// Channels are split over the worker pool.
/// LRN is computed a whole spatial plane at a time, so that every step is a vectorised span operation.
/// </summary>
internal static class NormalizationKernels
{
    /// <summary>Batch normalisation forward (training: batch statistics, saved and folded into the running ones).</summary>
    /// <remarks>
    /// <paramref name="relu"/> (float training on <see cref="BatchNormVector"/>'s path only) writes max(y, 0) in the same pass.
    /// </remarks>
    public static unsafe void BatchNormForward(DataType type, in ChannelPlanes layout, nint x, nint gamma, nint beta, nint runningMean, nint runningVariance,
        nint savedMean, nint savedInvStd, nint y, double epsilon, double momentum, bool training, bool relu = false)
    {
        if (relu && !(type == DataType.Float32 && training && BatchNormVector.Enabled))
        {
            throw new NotSupportedException("batch norm + ReLU in one pass is the float training path of BatchNormVector only");
        }
        var job = new BatchNormJob
        {
            Type = type,
            Layout = layout,
            X = x,
            Gamma = gamma,
            Beta = beta,
            RunningMean = runningMean,
            RunningVariance = runningVariance,
            SavedMean = savedMean,
            SavedInvStd = savedInvStd,
            Y = y,
            Epsilon = epsilon,
            Momentum = momentum,
            Training = training,
            Relu = relu,
        };
        job.Run(&BatchNormForwardPart);
    }

    /// <summary>dx, dγ, dβ of training-mode batch normalisation from the saved statistics.</summary>
    /// <remarks>
    /// A non-zero <paramref name="reluBeta"/> (β; float on <see cref="BatchNormVector"/>'s path only) makes dy the gradient of
    /// max(y, 0): ReLU's mask is applied as dy is read.
    /// </remarks>
    public static unsafe void BatchNormBackward(DataType type, in ChannelPlanes layout, nint x, nint dy, nint gamma, nint savedMean, nint savedInvStd,
        nint dx, nint dGamma, nint dBeta, nint reluBeta = 0)
    {
        if (reluBeta != 0 && !(type == DataType.Float32 && BatchNormVector.Enabled))
        {
            throw new NotSupportedException("batch norm + ReLU backward in one pass is the float path of BatchNormVector only");
        }
        var job = new BatchNormJob
        {
            Type = type,
            Layout = layout,
            X = x,
            Dy = dy,
            Gamma = gamma,
            SavedMean = savedMean,
            SavedInvStd = savedInvStd,
            Dx = dx,
            DGamma = dGamma,
            DBeta = dBeta,
            Beta = reluBeta,
            Relu = reluBeta != 0,
        };
        job.Run(&BatchNormBackwardPart);
    }

    /// <summary>
    /// A batch-norm call's operands, cut into channel ranges for the <see cref="WorkerPool"/>: every
    /// channel's statistics and outputs depend on that channel alone, so the result does not depend
    /// on the cut (bit for bit at any thread count).
    /// </summary>
    private unsafe struct BatchNormJob
    {
        public DataType Type;
        public ChannelPlanes Layout;
        public nint X, Dy, Gamma, Beta, RunningMean, RunningVariance, SavedMean, SavedInvStd, Y, Dx, DGamma, DBeta;
        public double Epsilon, Momentum;
        public bool Training, Relu;
        public int Parts;

        public void Run(delegate* managed<void*, int, int, void> part)
        {
            long elements = (long)Layout.Batch * Layout.Channels * Layout.Spatial;
            Parts = Math.Max(1, Math.Min(ParallelSplit.Parts(elements), Layout.Channels));
            fixed (BatchNormJob* state = &this)
            {
                WorkerPool.For(Parts, Parts, part, state);
            }
        }

        public readonly (int First, int End) Channels(int part) => ParallelSplit.Range(part, Parts, Layout.Channels, 1);
    }

    private static unsafe void BatchNormForwardPart(void* state, int part, int worker)
    {
        ref BatchNormJob j = ref *(BatchNormJob*)state;
        ChannelPlanes layout = j.Layout;
        int n = layout.Batch * layout.Channels * layout.Spatial, c = layout.Channels;
        (int first, int end) = j.Channels(part);
        if (j.Type == DataType.Float32 && j.Training && BatchNormVector.Enabled)
        {
            BatchNormVector.Forward(layout, first, end, (float*)j.X, (float*)j.Gamma, (float*)j.Beta, (float*)j.RunningMean, (float*)j.RunningVariance,
                (float*)j.SavedMean, (float*)j.SavedInvStd, (float*)j.Y, j.Epsilon, j.Momentum, j.Relu);
        }
        else if (j.Type == DataType.Float32)
        {
            BatchNormForwardKernel(layout, first, end, NativeSpan.Of<float>(j.X, n), NativeSpan.Of<float>(j.Gamma, c), NativeSpan.Of<float>(j.Beta, c),
                NativeSpan.Of<float>(j.RunningMean, c), NativeSpan.Of<float>(j.RunningVariance, c), NativeSpan.Of<float>(j.SavedMean, c), NativeSpan.Of<float>(j.SavedInvStd, c),
                NativeSpan.Of<float>(j.Y, n), j.Epsilon, j.Momentum, j.Training);
        }
        else
        {
            BatchNormForwardKernel(layout, first, end, NativeSpan.Of<double>(j.X, n), NativeSpan.Of<double>(j.Gamma, c), NativeSpan.Of<double>(j.Beta, c),
                NativeSpan.Of<double>(j.RunningMean, c), NativeSpan.Of<double>(j.RunningVariance, c), NativeSpan.Of<double>(j.SavedMean, c), NativeSpan.Of<double>(j.SavedInvStd, c),
                NativeSpan.Of<double>(j.Y, n), j.Epsilon, j.Momentum, j.Training);
        }
    }

    private static unsafe void BatchNormBackwardPart(void* state, int part, int worker)
    {
        ref BatchNormJob j = ref *(BatchNormJob*)state;
        ChannelPlanes layout = j.Layout;
        int n = layout.Batch * layout.Channels * layout.Spatial, c = layout.Channels;
        (int first, int end) = j.Channels(part);
        if (j.Type == DataType.Float32 && BatchNormVector.Enabled)
        {
            BatchNormVector.Backward(layout, first, end, (float*)j.X, (float*)j.Dy, (float*)j.Gamma, (float*)j.Beta, (float*)j.SavedMean, (float*)j.SavedInvStd,
                (float*)j.Dx, (float*)j.DGamma, (float*)j.DBeta, j.Relu);
        }
        else if (j.Type == DataType.Float32)
        {
            BatchNormBackwardKernel(layout, first, end, NativeSpan.Of<float>(j.X, n), NativeSpan.Of<float>(j.Dy, n), NativeSpan.Of<float>(j.Gamma, c),
                NativeSpan.Of<float>(j.SavedMean, c), NativeSpan.Of<float>(j.SavedInvStd, c), NativeSpan.Of<float>(j.Dx, n),
                NativeSpan.Of<float>(j.DGamma, c), NativeSpan.Of<float>(j.DBeta, c));
        }
        else
        {
            BatchNormBackwardKernel(layout, first, end, NativeSpan.Of<double>(j.X, n), NativeSpan.Of<double>(j.Dy, n), NativeSpan.Of<double>(j.Gamma, c),
                NativeSpan.Of<double>(j.SavedMean, c), NativeSpan.Of<double>(j.SavedInvStd, c), NativeSpan.Of<double>(j.Dx, n),
                NativeSpan.Of<double>(j.DGamma, c), NativeSpan.Of<double>(j.DBeta, c));
        }
    }

    /// <summary>Local response normalisation forward; scale keeps k + α/n·Σa² for backward.</summary>
    public static void LrnForward(DataType type, in ChannelPlanes layout, LrnParameters parameters, nint x, nint y, nint scale)
    {
        int n = layout.Batch * layout.Channels * layout.Spatial;
        if (type == DataType.Float32)
        {
            LrnForwardKernel(layout, parameters, NativeSpan.Of<float>(x, n), NativeSpan.Of<float>(y, n), NativeSpan.Of<float>(scale, n));
        }
        else
        {
            LrnForwardKernel(layout, parameters, NativeSpan.Of<double>(x, n), NativeSpan.Of<double>(y, n), NativeSpan.Of<double>(scale, n));
        }
    }

    /// <summary>
    /// Local response normalisation backward. Uses pooled scratch memory (one sample's worth), so
    /// the steady state allocates nothing.
    /// </summary>
    public static void LrnBackward(DataType type, in ChannelPlanes layout, LrnParameters parameters, nint x, nint y, nint scale, nint dy, nint dx)
    {
        int n = layout.Batch * layout.Channels * layout.Spatial;
        if (type == DataType.Float32)
        {
            LrnBackwardKernel(layout, parameters, NativeSpan.Of<float>(x, n), NativeSpan.Of<float>(y, n), NativeSpan.Of<float>(scale, n),
                NativeSpan.Of<float>(dy, n), NativeSpan.Of<float>(dx, n));
        }
        else
        {
            LrnBackwardKernel(layout, parameters, NativeSpan.Of<double>(x, n), NativeSpan.Of<double>(y, n), NativeSpan.Of<double>(scale, n),
                NativeSpan.Of<double>(dy, n), NativeSpan.Of<double>(dx, n));
        }
    }

    internal static void BatchNormForwardKernel<T>(in ChannelPlanes layout, int first, int end, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVariance, Span<T> savedMean, Span<T> savedInvStd, Span<T> y,
        double epsilon, double momentum, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)layout.Batch * layout.Spatial;
        for (int c = first; c < end; c++)
        {
            double mean, invStd;
            if (training)
            {
                double sum = 0;
                for (int i = 0; i < layout.Batch; i++)
                {
                    sum += VectorMath.SumAsDouble(layout.Plane(x, i, c));
                }
                mean = sum / count;
                double squares = 0;
                for (int i = 0; i < layout.Batch; i++)
                {
                    squares += VectorMath.SumSquaredDeviations(layout.Plane(x, i, c), mean);
                }
                double variance = squares / count;
                invStd = 1.0 / Math.Sqrt(variance + epsilon);
                savedMean[c] = T.CreateTruncating(mean);
                savedInvStd[c] = T.CreateTruncating(invStd);
                // PyTorch's rule: the running variance takes the unbiased estimate.
                double unbiased = squares / (count - 1);
                runningMean[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningMean[c])) + (momentum * mean));
                runningVariance[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningVariance[c])) + (momentum * unbiased));
            }
            else
            {
                mean = double.CreateTruncating(runningMean[c]);
                invStd = 1.0 / Math.Sqrt(double.CreateTruncating(runningVariance[c]) + epsilon);
            }
            // y = γ(x − μ)s + β = x·a + b.
            double a = double.CreateTruncating(gamma[c]) * invStd;
            T scale = T.CreateTruncating(a);
            T shift = T.CreateTruncating(double.CreateTruncating(beta[c]) - (mean * a));
            for (int i = 0; i < layout.Batch; i++)
            {
                VectorMath.ScaleShift(layout.Plane(x, i, c), scale, shift, layout.Plane(y, i, c));
            }
        }
    }

    internal static void BatchNormBackwardKernel<T>(in ChannelPlanes layout, int first, int end, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dx, Span<T> dGamma, Span<T> dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)layout.Batch * layout.Spatial;
        for (int c = first; c < end; c++)
        {
            double mean = double.CreateTruncating(savedMean[c]);
            double invStd = double.CreateTruncating(savedInvStd[c]);
            double sumDy = 0, sumDyX = 0;
            for (int i = 0; i < layout.Batch; i++)
            {
                (double planeSum, double planeDot) = VectorMath.SumAndDotAsDouble(layout.Plane(dy, i, c), layout.Plane(x, i, c));
                sumDy += planeSum;
                sumDyX += planeDot;
            }
            // Σ dy·x̂ = s·(Σ dy·x − μ·Σ dy).
            double dg = invStd * (sumDyX - (mean * sumDy));
            dGamma[c] = T.CreateTruncating(dg);
            dBeta[c] = T.CreateTruncating(sumDy);
            // dx = k1·dy + k2·x + k3 with k1 = γs, k2 = −γs²·dγ/M, k3 = −γs·dβ/M − k2·μ.
            double k1 = double.CreateTruncating(gamma[c]) * invStd;
            double k2 = -k1 * invStd * dg / count;
            double k3 = (-k1 * sumDy / count) - (k2 * mean);
            T t1 = T.CreateTruncating(k1), t2 = T.CreateTruncating(k2), t3 = T.CreateTruncating(k3);
            for (int i = 0; i < layout.Batch; i++)
            {
                VectorMath.TwoTermAffine(layout.Plane(dy, i, c), t1, layout.Plane(x, i, c), t2, t3, layout.Plane(dx, i, c));
            }
        }
    }

    private static void LrnForwardKernel<T>(in ChannelPlanes layout, LrnParameters p, ReadOnlySpan<T> x, Span<T> y, Span<T> scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T alphaOverN = T.CreateTruncating(p.Alpha / p.Size), k = T.CreateTruncating(p.K), minusBeta = T.CreateTruncating(-p.Beta);
        for (int i = 0; i < layout.Batch; i++)
        {
            for (int c = 0; c < layout.Channels; c++)
            {
                Span<T> s = layout.Plane(scale, i, c);
                s.Clear();
                int last = Math.Min(layout.Channels - 1, c + ((p.Size - 1) / 2));
                for (int j = Math.Max(0, c - (p.Size / 2)); j <= last; j++)
                {
                    ReadOnlySpan<T> a = layout.Plane(x, i, j);
                    TensorPrimitives.MultiplyAdd(a, a, s, s);
                }
                VectorMath.ScaleShift<T>(s, alphaOverN, k, s);
                Span<T> b = layout.Plane(y, i, c);
                TensorPrimitives.Pow(s, minusBeta, b);
                TensorPrimitives.Multiply(b, layout.Plane(x, i, c), b);
            }
        }
    }

    private static void LrnBackwardKernel<T>(in ChannelPlanes layout, LrnParameters p, ReadOnlySpan<T> x, ReadOnlySpan<T> y,
        ReadOnlySpan<T> scale, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T minusBeta = T.CreateTruncating(-p.Beta), minusCoefficient = T.CreateTruncating(-2 * p.Alpha * p.Beta / p.Size);
        int sampleLength = layout.Channels * layout.Spatial;
        T[] rented = ArrayPool<T>.Shared.Rent(sampleLength + layout.Spatial);
        try
        {
            // t holds dy_c·b_c/s_c for one sample; sum collects the window sums for one channel.
            var t = new ChannelPlanes(1, layout.Channels, layout.Spatial);
            Span<T> tData = rented.AsSpan(0, sampleLength);
            Span<T> sum = rented.AsSpan(sampleLength, layout.Spatial);
            for (int i = 0; i < layout.Batch; i++)
            {
                for (int c = 0; c < layout.Channels; c++)
                {
                    Span<T> tc = t.Plane(tData, 0, c);
                    TensorPrimitives.Multiply(layout.Plane(dy, i, c), layout.Plane(y, i, c), tc);
                    TensorPrimitives.Divide(tc, layout.Plane(scale, i, c), tc);
                }
                for (int c = 0; c < layout.Channels; c++)
                {
                    // Channels whose window [j − ⌊n/2⌋, j + ⌊(n−1)/2⌋] holds c.
                    sum.Clear();
                    int last = Math.Min(layout.Channels - 1, c + (p.Size / 2));
                    for (int j = Math.Max(0, c - ((p.Size - 1) / 2)); j <= last; j++)
                    {
                        TensorPrimitives.Add(sum, t.Plane(tData, 0, j), sum);
                    }
                    Span<T> g = layout.Plane(dx, i, c);
                    TensorPrimitives.Pow(layout.Plane(scale, i, c), minusBeta, g);
                    TensorPrimitives.Multiply(g, layout.Plane(dy, i, c), g);
                    TensorPrimitives.Multiply(sum, layout.Plane(x, i, c), sum);
                    TensorPrimitives.MultiplyAdd(sum, minusCoefficient, g, g);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }
}
