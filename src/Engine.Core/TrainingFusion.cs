namespace Engine.Core;

/// <summary>
/// Which layers a training pass runs as one: a layer whose backend fuses its product, bias and
/// activation (<see cref="IBiasActivationLayer"/>: a convolution on the cuDNN backend, where
/// cudnnConvolutionBiasActivationForward does it in the convolution's own kernel) followed by an
/// activation layer whose backward pass reads only its output (<see cref="IFusableActivationLayer"/>:
/// ReLU) runs both forward passes in one call. The activation layer is then skipped in forward: it
/// adopts the producer's output as its own, so its backward pass (dy · [y &gt; 0]) and the producer's
/// (bias gradient from that, filter gradient from the kept input) run as before and give the same
/// gradients. The output before the activation, which nothing reads in backward, never exists.
/// A producer that also takes in the activation's backward pass (<see cref="IActivationFusingLayer"/>:
/// a batch norm whose backend applies ReLU's mask inside its own backward) is given the activation
/// layer's output gradient unchanged: the activation layer runs neither pass.
/// </summary>
/// <remarks>
/// A link joins two layers under <see cref="FusionLinks"/>' conditions; the backend decides per layer
/// whether its call is fused (<see cref="IBackend.FusesConvolutionBiasActivation"/>), so a backend
/// that would only repeat the three operations is left with the layer-by-layer pass.
/// </remarks>
internal sealed class TrainingFusion
{
    private readonly int[] _activation; // per layer: the activation layer it computes (−1: none)
    private readonly int[] _fusedInto;  // per layer: the producer whose output it adopts (−1: runs itself)
    private readonly bool[] _passesGradient; // per activation layer: its producer applies its derivative too

    private TrainingFusion(int[] activation, int[] fusedInto, bool[] passesGradient)
    {
        _activation = activation;
        _fusedInto = fusedInto;
        _passesGradient = passesGradient;
    }

    /// <summary>Activation layers whose training forward pass the layer before them computes.</summary>
    public int FusedLayerCount => _fusedInto.Count(p => p >= 0);

    /// <summary>Finds the pairs; <paramref name="readers"/> counts, per layer, what reads its output (layers and auxiliary losses).</summary>
    public static TrainingFusion Plan(IReadOnlyList<ILayer> layers, IReadOnlyList<int[]> inputs, IReadOnlyList<int> readers, IReadOnlyList<IBackend> placement)
    {
        int[] next = FusionLinks.Next(inputs, readers, placement);
        var activation = new int[layers.Count];
        var fusedInto = new int[layers.Count];
        Array.Fill(activation, -1);
        Array.Fill(fusedInto, -1);
        var passesGradient = new bool[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            int link = next[i];
            if (link < 0 || layers[link] is not IFusableActivationLayer { BackwardFromOutput: true } act)
            {
                continue;
            }
            bool both = layers[i] is IActivationFusingLayer whole && whole.FusesActivationInTraining(act.Activation);
            if (both || (layers[i] is IBiasActivationLayer producer && producer.FusesBiasActivation(act.Activation, training: true)))
            {
                activation[i] = link;
                fusedInto[link] = i;
                passesGradient[link] = both;
            }
        }
        return new TrainingFusion(activation, fusedInto, passesGradient);
    }

    /// <summary>Whether <paramref name="layer"/>, an activation layer, skips its backward pass: its producer applies its derivative (its gradient passes through unchanged).</summary>
    public bool PassesGradient(int layer) => _passesGradient[layer];

    /// <summary>The producer whose output is <paramref name="layer"/>'s (−1: it runs itself).</summary>
    public int FusedInto(int layer) => _fusedInto[layer];

    /// <summary>Whether <paramref name="layer"/> computes the activation layer after it (<see cref="Forward"/> runs it).</summary>
    public bool Starts(int layer) => _activation[layer] >= 0;

    /// <summary>The training forward pass of <paramref name="layer"/> and of the activation after it; the output is both layers'.</summary>
    public Tensor Forward(IReadOnlyList<ILayer> layers, int layer, Tensor input)
    {
        var act = (IFusableActivationLayer)layers[_activation[layer]];
        Tensor y = _passesGradient[_activation[layer]]
            ? ((IActivationFusingLayer)layers[layer]).ForwardWithActivation(input, act.Activation, act.Alpha)
            : ((IBiasActivationLayer)layers[layer]).ForwardWithBiasActivation(input, training: true, act.Activation, act.Alpha);
        act.AdoptTrainingOutput(y);
        return y;
    }
}
