namespace Engine.Core;

/// <summary>One row of a <see cref="ModelSummary"/>: a layer, its output and its cost for one sample.</summary>
/// <param name="Name">Instance name.</param>
/// <param name="Kind">Registered kind.</param>
/// <param name="Inputs">Names of the layers feeding it (<c>input</c> is the model input).</param>
/// <param name="OutputShape">Per-sample output shape.</param>
/// <param name="Parameters">Learned values.</param>
/// <param name="MultiplyAccumulates">Per-sample forward multiply-accumulates; null when the layer does not report them (<see cref="ILayerCost"/>).</param>
/// <param name="Auxiliary">Whether the layer feeds only auxiliary outputs (a training-only head), not the main one.</param>
public sealed record LayerSummary(string Name, string Kind, IReadOnlyList<string> Inputs, Shape OutputShape, long Parameters, long? MultiplyAccumulates, bool Auxiliary = false);

/// <summary>
/// What <c>engine summary</c> shows: per layer its output shape, parameters and multiply-accumulates,
/// and the totals. Activation memory is what one sample's forward pass keeps: every layer's output.
/// </summary>
/// <param name="Name">Model name.</param>
/// <param name="InputShape">Per-sample input shape.</param>
/// <param name="Layers">One row per layer, in order.</param>
/// <param name="BytesPerElement">Size of one value of the network's data type.</param>
public sealed record ModelSummary(string Name, Shape InputShape, IReadOnlyList<LayerSummary> Layers, int BytesPerElement = sizeof(float))
{
    /// <summary>Learned values in all layers.</summary>
    public long TotalParameters => Layers.Sum(l => l.Parameters);

    /// <summary>Per-sample forward multiply-accumulates of the layers that report them.</summary>
    public long TotalMultiplyAccumulates => Layers.Sum(l => l.MultiplyAccumulates ?? 0);

    /// <summary>The auxiliary outputs (layer name, loss weight): used in training only.</summary>
    public IReadOnlyList<(string Layer, double Weight)> AuxiliaryOutputs { get; init; } = [];

    /// <summary>Learned values of the training-only heads (<see cref="LayerSummary.Auxiliary"/>).</summary>
    public long AuxiliaryParameters => Layers.Where(l => l.Auxiliary).Sum(l => l.Parameters);

    /// <summary>Values in all layer outputs for one sample.</summary>
    public long ActivationElements => Layers.Sum(l => l.OutputShape.ElementCount);

    /// <summary>Bytes of all layer outputs for one sample.</summary>
    public long ActivationBytes => ActivationElements * BytesPerElement;

    /// <summary>Bytes of all parameters.</summary>
    public long ParameterBytes => TotalParameters * BytesPerElement;

    /// <summary>The rows of a built network (it must be initialised, which <see cref="Network.Build"/> does).</summary>
    public static ModelSummary Of(Network network, DataType dataType = DataType.Float32)
    {
        var rows = new List<LayerSummary>(network.Layers.Count);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            ILayer layer = network.Layers[i];
            string[] inputs = network.Inputs[i].Select(s => s < 0 ? LayerSpec.ModelInput : network.Layers[s].Name).ToArray();
            long parameters = layer.Parameters.Sum(p => p.Value.ElementCount);
            rows.Add(new LayerSummary(layer.Name, layer.Kind, inputs, network.OutputShapes[i], parameters, (layer as ILayerCost)?.MultiplyAccumulates, !network.FeedsMainOutput[i]));
        }
        return new ModelSummary(network.Name, network.InputShape, rows, dataType == DataType.Float64 ? sizeof(double) : sizeof(float))
        {
            AuxiliaryOutputs = network.AuxiliaryOutputs.Select(a => (network.Layers[a.Layer].Name, a.Weight)).ToArray(),
        };
    }
}
