using Engine.Conformance;

namespace Engine.Backend.Conformance.Tests;

/// <summary>The kit catches deliberately broken backends, naming the op, and never crashes on them.</summary>
public sealed class BrokenBackendTests
{
    /// <summary>Multiplies element 17 (or the last) of every convolution output by 1.03.</summary>
    private sealed class CorruptConvolution(IBackend inner) : DelegatingBackend(inner)
    {
        // Declines the bias-only epilogue, so that a convolution layer with a bias calls the corrupted
        // ConvolutionForward (then adds its bias) instead of the intact fused call.
        public override bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) =>
            activation is not null && base.FusesConvolutionBiasActivation(geometry, dataType, activation, training);

        public override void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y)
        {
            base.ConvolutionForward(geometry, x, w, y);
            if (y.DataType == DataType.Float32)
            {
                var values = new float[y.ElementCount];
                CopyToHost<float>(y, values);
                values[Math.Min(17, values.Length - 1)] *= 1.03f;
                CopyFromHost<float>(values, y);
            }
            else
            {
                var values = new double[y.ElementCount];
                CopyToHost<double>(y, values);
                values[Math.Min(17, values.Length - 1)] *= 1.03;
                CopyFromHost<double>(values, y);
            }
        }
    }

    /// <summary>Claims LRN (every op, as its inner backend) but has no kernel for it.</summary>
    private sealed class ThrowingLrn(IBackend inner) : DelegatingBackend(inner)
    {
        public override void LrnForward(LrnParameters parameters, Tensor x, Tensor y, Tensor scale) =>
            throw new NotSupportedException("no LRN kernel here");
    }

    /// <summary>Claims nothing in float64.</summary>
    private sealed class Float32Only(IBackend inner) : DelegatingBackend(inner)
    {
        public override bool Supports(OpDescriptor descriptor) => descriptor.DataType != DataType.Float64 && base.Supports(descriptor);
    }

    /// <summary>Declares a float32 tolerance no float32 kernel can meet against a float64 reference.</summary>
    private sealed class Overconfident(IBackend inner) : DelegatingBackend(inner)
    {
        public override BackendTraits Traits => Inner.Traits with { Float32Tolerance = 1e-12 };
    }

    /// <summary>Top-k that counts nothing.</summary>
    private sealed class LazyTopK(IBackend inner) : DelegatingBackend(inner)
    {
        public override void AccumulateTopK(Tensor logits, Tensor labels, Tensor counts)
        {
        }
    }

    /// <summary>Returns 1.1 times the true filter gradient.</summary>
    private sealed class ScaledFilterGradient(IBackend inner) : DelegatingBackend(inner)
    {
        public override void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw)
        {
            base.ConvolutionBackwardFilter(geometry, x, dy, dw);
            Inner.Axpby(0.1, dw, 1, dw);
        }
    }

    /// <summary>
    /// Declares <see cref="MaxPoolTieRule.Any"/> and routes each 2-D max-pool gradient to the last
    /// maximum of its window (as a GPU may), computed on the host; <paramref name="dropTies"/> also
    /// loses the gradient of tied windows.
    /// </summary>
    private sealed class LastMaximum(IBackend inner, bool dropTies = false) : DelegatingBackend(inner)
    {
        public override BackendTraits Traits => Inner.Traits with { MaxPoolTies = MaxPoolTieRule.Any };

        public override void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx)
        {
            if (geometry.Mode != PoolingMode.Max || x.Shape.Rank != 4 || x.DataType != DataType.Float64)
            {
                base.PoolingBackward(geometry, x, y, dy, dx);
                return;
            }
            ConvolutionGeometry g = geometry.Window;
            var xv = new double[x.ElementCount];
            var dyv = new double[dy.ElementCount];
            var dxv = new double[x.ElementCount];
            CopyToHost<double>(x, xv);
            CopyToHost<double>(dy, dyv);
            int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = dy.Shape[2], ow = dy.Shape[3];
            for (int p = 0; p < planes; p++)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int best = -1, count = 0;
                        for (int ky = 0; ky < g.Kernel[0]; ky++)
                        {
                            for (int kx = 0; kx < g.Kernel[1]; kx++)
                            {
                                int iy = (oy * g.Stride[0]) - g.PadBefore[0] + (ky * g.Dilation[0]);
                                int ix = (ox * g.Stride[1]) - g.PadBefore[1] + (kx * g.Dilation[1]);
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                {
                                    continue;
                                }
                                int i = (p * h * w) + (iy * w) + ix;
                                if (best < 0 || xv[i] > xv[best])
                                {
                                    (best, count) = (i, 1);
                                }
                                else if (xv[i] == xv[best])
                                {
                                    (best, count) = (i, count + 1); // ties: the last one wins
                                }
                            }
                        }
                        if (best >= 0 && !(dropTies && count > 1))
                        {
                            dxv[best] += dyv[(p * oh * ow) + (oy * ow) + ox];
                        }
                    }
                }
            }
            CopyFromHost<double>(dxv, dx);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithTheAnyTieRuleMaxPoolTiesAreCheckedByTheirTotal(bool dropTies)
    {
        using var backend = new LastMaximum(Backends.Create("openblas"), dropTies);
        var (summary, results) = Backends.RunKit(backend, filter: "pooling max 2-D");
        var ties = results.Where(r => r.Name.Contains("float64", StringComparison.Ordinal) && r.Name.EndsWith("with ties", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, ties.Count);
        if (dropTies)
        {
            Assert.All(ties, r =>
            {
                Assert.Equal(CaseStatus.Fail, r.Status);
                Assert.StartsWith("backward Σdx = Σdy (ties to any maximum): max relative error", r.Detail, StringComparison.Ordinal);
            });
        }
        else
        {
            // Routing ties to the last maximum is allowed under Any; every other 2-D case still
            // matches the first-maximum reference, since random data has no ties.
            Assert.Equal(0, summary.Failed);
            Assert.True(summary.Passed >= 14, $"{summary.Passed} passed");
        }
    }

    [Fact]
    public void WithTheFirstIndexRuleATieToTheLastMaximumFails()
    {
        using var backend = new LastMaximumFirstIndex(Backends.Create("openblas"));
        var (_, results) = Backends.RunKit(backend, filter: "with ties");
        Assert.Contains(results, r => r.Status == CaseStatus.Fail && r.Name.Contains("float64", StringComparison.Ordinal)
            && r.Detail!.StartsWith("backward dx (ties to the first maximum): max relative error", StringComparison.Ordinal));
    }

    /// <summary>The last-maximum routing while declaring the reference's first-index rule.</summary>
    private sealed class LastMaximumFirstIndex(IBackend inner) : DelegatingBackend(inner)
    {
        private readonly LastMaximum _last = new(inner);

        public override void PoolingBackward(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx) =>
            _last.PoolingBackward(geometry, x, y, dy, dx);
    }

    /// <summary>Fuses batch norm + ReLU in every floating type but forgets ReLU's mask in backward.</summary>
    private sealed class MasklessBatchNormRelu(IBackend inner) : DelegatingBackend(inner)
    {
        public override bool FusesBatchNormRelu(DataType dataType) => true;

        public override void BatchNormReluBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor savedMean, Tensor savedInvStd,
            Tensor dx, Tensor dGamma, Tensor dBeta) =>
            BatchNormBackward(x, dy, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
    }

    [Fact]
    public void ABatchNormReluBackwardWithoutTheMaskFails()
    {
        using var backend = new MasklessBatchNormRelu(Backends.Create("openblas"));
        var (_, results) = Backends.RunKit(backend, filter: "batch");
        var training = results.Where(r => r.Name.EndsWith("training", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(training);
        Assert.All(training, r =>
        {
            Assert.Equal(CaseStatus.Fail, r.Status);
            Assert.Contains("(batch norm + ReLU)", r.Detail, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void AWrongFilterGradientFailsTheGradientCheck()
    {
        using var backend = new ScaledFilterGradient(Backends.Create("openblas"));
        var (_, results) = Backends.RunKit(backend, filter: "gradient check float64 conv2d");
        CaseResult result = Assert.Single(results);
        Assert.Equal(CaseStatus.Fail, result.Status);
        // The weight gradient is 10% off; the bias and input gradients are right.
        Assert.Matches(@"^d/dconv2d1\.weight \(backward vs central difference, elements [0-9,]+\): max relative error 0\.1 at index \d+ > 1E-05 ", result.Detail);
    }

    [Fact]
    public void ACorruptedConvolutionFailsItsCasesWithTheErrorAndIndexAndNothingElse()
    {
        using var backend = new CorruptConvolution(Backends.Create("openblas"));
        var (summary, results) = Backends.RunKit(backend);
        var failed = results.Where(r => r.Status == CaseStatus.Fail).ToList();
        Assert.Equal(summary.Failed, failed.Count);
        // Every convolution op case, in both types, fails on its forward output at the corrupted index.
        var convolution = results.Where(r => r.Name.StartsWith("convolution ", StringComparison.Ordinal) && !r.Name.Contains("refuses", StringComparison.Ordinal)
            && !r.Name.EndsWith(" with epilogue", StringComparison.Ordinal) && !r.Name.EndsWith(" and activation", StringComparison.Ordinal)).ToList();
        Assert.Equal(28, convolution.Count);
        // The epilogue and bias-and-activation cases call ConvolutionForwardWithEpilogue and
        // ConvolutionForwardBiasActivation, which the decorator hands to the intact backend.
        var epilogue = results.Where(r => r.Name.EndsWith(" with epilogue", StringComparison.Ordinal)).ToList();
        Assert.Equal(36, epilogue.Count);
        var biasActivation = results.Where(r => r.Name.EndsWith(" and activation", StringComparison.Ordinal)).ToList();
        Assert.Equal(72, biasActivation.Count);
        Assert.All(epilogue.Concat(biasActivation), r => Assert.Equal(CaseStatus.Pass, r.Status));
        Assert.All(convolution, r =>
        {
            Assert.Equal(CaseStatus.Fail, r.Status);
            Assert.Matches(@"^forward y: max relative error [0-9.E-]+ at index \d+ > 1E-(05|12)", r.Detail);
        });
        Assert.Contains(convolution, r => r.Detail!.Contains("at index 17 >", StringComparison.Ordinal));
        // Layers built on convolution fail too; ops that do not use it still pass.
        Assert.Contains(failed, r => r.Name.StartsWith("layer float32 conv2d ", StringComparison.Ordinal));
        Assert.DoesNotContain(failed, r => r.Name.StartsWith("gemm ", StringComparison.Ordinal) || r.Name.StartsWith("pooling ", StringComparison.Ordinal));
        Assert.All(failed, r => Assert.Matches("convolution|conv[123]d|gradient check", r.Name));
    }

    [Fact]
    public void AnOpThatIsClaimedAndThrowsIsTheBackendsFailureNamingTheOpAndTheRunGoesOn()
    {
        using var backend = new ThrowingLrn(Backends.Create("openblas"));
        var (summary, results) = Backends.RunKit(backend);
        var lrn = results.Where(r => r.Name.StartsWith("lrn ", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, lrn.Count);
        Assert.All(lrn, r =>
        {
            Assert.Equal(CaseStatus.Fail, r.Status);
            Assert.StartsWith("the backend claims 'lrn size ", r.Detail, StringComparison.Ordinal);
            Assert.EndsWith("threw NotSupportedException: no LRN kernel here", r.Detail, StringComparison.Ordinal);
        });
        Assert.Contains(results, r => r.Status == CaseStatus.Fail && r.Name.StartsWith("layer float32 lrn ", StringComparison.Ordinal) && r.Detail!.Contains("no LRN kernel here", StringComparison.Ordinal));
        // Cases after the LRN ones still ran: the last family of the kit is the gradient checks.
        Assert.StartsWith("gradient check", results[^1].Name, StringComparison.Ordinal);
        Assert.True(summary.Passed > 300);
    }

    [Fact]
    public void WhatTheBackendDoesNotClaimIsSkippedSayingSoAndIsNotAFailure()
    {
        using var backend = new Float32Only(Backends.Create("openblas"));
        var (summary, results) = Backends.RunKit(backend);
        Assert.Equal(0, summary.Failed);
        var float64 = results.Where(r => r.Name.Contains(" float64", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(float64);
        Assert.All(float64, r =>
        {
            Assert.Equal(CaseStatus.Skip, r.Status);
            Assert.Contains("not claimed by the backend (", r.Detail, StringComparison.Ordinal);
            Assert.Contains("float64", r.Detail, StringComparison.Ordinal);
        });
        Assert.Contains(results, r => r.Status == CaseStatus.Pass && r.Name.StartsWith("convolution ", StringComparison.Ordinal) && r.Name.Contains(" float32", StringComparison.Ordinal));
        // Without float64, gradients are checked by finite differences in float32.
        var float32Gradients = results.Where(r => r.Name.StartsWith("gradient check float32 ", StringComparison.Ordinal)).ToList();
        Assert.Equal(Backends.Catalog.Layers.Count, float32Gradients.Count);
        Assert.True(float32Gradients.Count(r => r.Status == CaseStatus.Pass) >= float32Gradients.Count - 1);
    }

    [Fact]
    public void TheToleranceComesFromTheBackendsTraits()
    {
        using var backend = new Overconfident(Backends.Create("openblas"));
        var (_, results) = Backends.RunKit(backend, filter: "gemm");
        Assert.Contains(results, r => r.Status == CaseStatus.Fail && r.Name.Contains(" float32", StringComparison.Ordinal) && r.Detail!.EndsWith("> 1E-12 (expected", StringComparison.Ordinal) == false && r.Detail!.Contains("> 1E-12", StringComparison.Ordinal));
        Assert.All(results.Where(r => r.Name.Contains(" float64", StringComparison.Ordinal)), r => Assert.Equal(CaseStatus.Pass, r.Status));
    }

    [Fact]
    public void ATopKThatCountsNothingFailsWithTheCounts()
    {
        using var backend = new LazyTopK(Backends.Create("openblas"));
        var (_, results) = Backends.RunKit(backend, filter: "accumulate_top_k");
        Assert.Equal(2, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal(CaseStatus.Fail, r.Status);
            Assert.Matches(@"^counts \(started at 1, 2, 3\): index 0 is 1, expected exactly \d", r.Detail);
        });
    }
}
