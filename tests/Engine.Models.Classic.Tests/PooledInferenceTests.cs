using System.Runtime.Intrinsics.X86;
using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Tests;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// Inference fusion with the pooling after a convolution's ReLU run inside the convolution
/// (<see cref="IBackend.TryConvolutionForwardPooled"/>) against the same network whose backend declines
/// it, so each pooling layer runs by itself on the fused convolution's output (the reference path):
/// the same bits, and the pooled kernel taken for both of LeNet-5's convolutions.
/// </summary>
public sealed class PooledInferenceTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(1)]
    public void LeNet5PooledInsideTheConvolutionsEqualsPoolingLayers(int batch)
    {
        IModelDefinition definition = ModelTestEngine.Catalog.Model("lenet5");
        Shape sample = definition.DefaultInput ?? new Shape(1, 28, 28);
        using var pooling = new PoolCountingBackend(new OpenBlasBackendProvider().Create(), declines: false);
        using var declining = new PoolCountingBackend(new OpenBlasBackendProvider().Create(), declines: true);
        using Network fused = Network.Build(definition.Spec, ModelTestEngine.Catalog, pooling, sample, seed: 3);
        using Network reference = Network.Build(definition.Spec, ModelTestEngine.Catalog, declining, sample, seed: 3);
        double[] values = Enumerable.Range(0, batch * (int)sample.ElementCount).Select(i => CounterRandom.Normal(19, (ulong)i)).ToArray();
        using Tensor x = HostTensors.Upload(pooling, sample.WithBatch(batch), values, DataType.Float32);
        using Tensor xr = HostTensors.Upload(declining, sample.WithBatch(batch), values, DataType.Float32);

        double[] expected = HostTensors.Download(reference.Forward(xr, training: false));
        double[] actual = HostTensors.Download(fused.Forward(x, training: false));
        double[] again = HostTensors.Download(fused.Forward(x, training: false));

        Assert.Equal(expected, actual);
        Assert.Equal(actual, again);
        Assert.Contains(expected, v => v != 0);
        Assert.Equal(Avx512F.IsSupported ? 4 : 0, pooling.Pooled); // conv1 and conv2, two passes
        Assert.Equal(0, declining.Pooled);
        Assert.True(declining.Asked >= 2); // the network did ask, and ran the pooling layers itself
    }

    /// <summary>Passes everything through, counting pooled convolutions, or declines them.</summary>
    private sealed class PoolCountingBackend(IBackend inner, bool declines) : BackendDecorator(inner, ownsInner: true)
    {
        public int Pooled { get; private set; }

        public int Asked { get; private set; }

        public override bool TryConvolutionForwardPooled(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Activation? activation, double alpha,
            PoolingGeometry pool, Tensor y)
        {
            Asked++;
            if (declines || !base.TryConvolutionForwardPooled(geometry, x, w, scale, shift, activation, alpha, pool, y))
            {
                return false;
            }
            Pooled++;
            return true;
        }
    }
}
