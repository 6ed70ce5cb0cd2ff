using System.Text.Json.Nodes;

namespace Engine.Conformance;

/// <summary>
/// A small model around one registered layer kind and a per-sample input shape: the layer alone, or
/// for merge layers a graph that feeds it two branches. Kinds without an entry are tried with no
/// arguments on a 4×6×6 input (a plugin's layer that needs arguments is then skipped, saying so).
/// </summary>
internal sealed record LayerSetup(string Kind, ModelSpec Spec, Shape Sample, string Arguments)
{
    private static readonly (string Kind, string Arguments, int[] Sample)[] Known =
    [
        ("dense", """{"units": 7}""", [3, 4, 2]),
        ("conv1d", """{"filters": 4, "kernel": 3, "padding": "same"}""", [3, 11]),
        ("conv2d", """{"filters": 6, "kernel": 3, "stride": 2, "padding": 1, "groups": 2}""", [4, 9, 8]),
        ("conv3d", """{"filters": 2, "kernel": [2, 3, 3], "padding": 1}""", [2, 4, 5, 5]),
        ("locally_connected2d", """{"filters": 3, "kernel": 3}""", [2, 6, 5]),
        ("max_pool1d", """{"pool": 3, "stride": 2}""", [3, 11]),
        ("max_pool2d", """{"pool": 3, "stride": 2, "padding": 1, "ceil_mode": true}""", [3, 10, 10]), // ceil mode: 6×6, not 5×5
        ("max_pool3d", """{"pool": 2}""", [2, 4, 4, 6]),
        ("avg_pool1d", """{"pool": 2, "padding": 1, "count_include_pad": true}""", [3, 9]),
        ("avg_pool2d", """{"pool": 2}""", [3, 8, 6]),
        ("avg_pool3d", """{"pool": [2, 2, 1], "padding": 1}""", [2, 3, 4, 5]),
        ("global_avg_pool", "{}", [5, 4, 3]),
        ("adaptive_avg_pool2d", """{"output_size": [4, 3]}""", [3, 7, 5]), // uneven windows: the averaging-matrix path
        ("pad_channels", """{"before": 1, "after": 2}""", [3, 4, 4]),
        ("maxout", """{"pieces": 2}""", [6, 3, 3]),
        ("dropout", """{"rate": 0.3}""", [4, 5, 5]),
        ("batch_norm", "{}", [4, 5, 5]),
        ("lrn", """{"size": 3}""", [6, 4, 4]),
        ("relu", "{}", [10]),
        ("sigmoid", "{}", [10]),
        ("tanh", "{}", [10]),
        ("leaky_relu", """{"slope": 0.1}""", [10]),
        ("elu", "{}", [10]),
        ("prelu", "{}", [4, 3, 3]),
        ("softmax", "{}", [9]),
        ("log_softmax", "{}", [9]), // the ONNX plugin's layers: a small sample keeps the float32 check
        ("clip", """{"min": -1, "max": 1}""", [10]), // away from the kinks, as for relu
        ("flatten", "{}", [2, 3, 4]),
        ("reshape", """{"shape": [6, 4, 6]}""", [4, 6, 6]),
        ("fixed_conv2d", """{"kernels": ["sobel", "robinson-ne", {"name": "gaussian", "sigma": 0.8, "size": 5}]}""", [2, 6, 5]),
        ("hog", """{"orientations": 6, "cell": 3, "block": 2, "block_norm": "l2"}""", [3, 8, 7]),
    ];

    /// <summary>One setup per registered kind, in name order.</summary>
    public static IEnumerable<LayerSetup> For(IEnumerable<string> kinds)
    {
        foreach (string kind in kinds.Order(StringComparer.Ordinal))
        {
            var known = Known.FirstOrDefault(k => k.Kind == kind);
            if (kind is "add" or "concat")
            {
                // Two branches of the input, so the merge's backward splits a gradient between them.
                var spec = new ModelSpec(kind,
                [
                    new LayerSpec("tanh", Name: "a"),
                    new LayerSpec("sigmoid", Name: "b", Inputs: [LayerSpec.ModelInput]),
                    new LayerSpec(kind, Name: "merge", Inputs: ["a", "b"]),
                ]);
                yield return new LayerSetup(kind, spec, new Shape(3, 4, 2), "tanh and sigmoid branches");
                continue;
            }
            string arguments = known.Kind is null ? "{}" : known.Arguments;
            int[] sample = known.Kind is null ? [4, 6, 6] : known.Sample;
            yield return new LayerSetup(kind, new ModelSpec(kind, [new LayerSpec(kind, JsonNode.Parse(arguments)!.AsObject())]), new Shape(sample), arguments);
        }
    }

    public override string ToString() => $"{Kind} {Arguments} [{CaseContext.Join(Sample)}]";
}
