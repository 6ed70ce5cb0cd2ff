using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// GoogLeNet / Inception v1 (Szegedy et al., 2014) in torchvision's layout, the auxiliary classifiers
/// optional: conv 64@7×7/2 pad 3, max-pool 3/2 (ceil), conv 64@1×1, conv 192@3×3 pad 1, max-pool
/// 3/2 (ceil), inception 3a, 3b, max-pool 3/2 (ceil), 4a–4e, max-pool 2/2 (ceil), 5a, 5b, global
/// average pool, dropout, dense classes. An inception module concatenates along channels four
/// branches: 1×1; 1×1 reduction → 3×3; 1×1 reduction → "wide" convolution; max-pool 3/1 pad 1 → 1×1
/// projection. The paper's wide branch is a 5×5 (<c>googlenet</c>: no batch norm, convolutions with
/// bias, dropout 0.4); torchvision's is a 3×3 (a known slip it keeps for its weights) with batch norm
/// after every convolution (no bias, ε 0.001) and dropout 0.2 (<c>googlenet_bn</c>, torchvision's model
/// exactly). The naive module (paper, figure 2a) drops the reductions and the projection: 1×1, 3×3 and
/// wide convolutions and the max-pool straight on the module's input, so its width grows by the input's
/// channels at every module. Layers are named like torchvision's with '_' for '.':
/// <c>inception4a_branch2_1_conv</c>, <c>inception4a_branch4_0_pool</c>.
/// </summary>
public static class GoogLeNetModel
{
    /// <summary>One inception module: its name and the widths of its branches.</summary>
    private readonly record struct Module(string Name, int OneByOne, int Reduce3, int Out3, int ReduceWide, int OutWide, int PoolProjection);

    /// <summary>The nine modules (paper, table 1), each followed by the max-pool named after it, if any.</summary>
    private static readonly (Module Module, string? PoolAfter)[] Modules =
    [
        (new("inception3a", 64, 96, 128, 16, 32, 32), null),
        (new("inception3b", 128, 128, 192, 32, 96, 64), "maxpool3"),
        (new("inception4a", 192, 96, 208, 16, 48, 64), null),
        (new("inception4b", 160, 112, 224, 24, 64, 64), null),
        (new("inception4c", 128, 128, 256, 24, 64, 64), null),
        (new("inception4d", 112, 144, 288, 32, 64, 64), null),
        (new("inception4e", 256, 160, 320, 32, 128, 128), "maxpool4"),
        (new("inception5a", 256, 160, 320, 32, 128, 128), null),
        (new("inception5b", 384, 192, 384, 48, 128, 128), null),
    ];

    /// <summary>
    /// GoogLeNet for <paramref name="classes"/> classes and a 3×H×W input (default 3×224×224).
    /// <paramref name="batchNorm"/>: batch norm after every convolution (torchvision's);
    /// <paramref name="wideKernel"/>: the kernel of the widest branch (default 5, the paper's, without
    /// batch norm; 3, torchvision's, with it); <paramref name="naive"/>: the module without 1×1
    /// reductions and pool projection.
    /// </summary>
    public static IModelDefinition Create(bool batchNorm = false, int? wideKernel = null, bool naive = false, bool auxiliary = false, int classes = 1000, Shape? input = null)
    {
        int defaultKernel = batchNorm ? 3 : 5;
        int wide = wideKernel ?? defaultKernel;
        string name = $"googlenet{(naive ? "-naive" : "")}{(wide != defaultKernel ? $"-{wide}x{wide}" : "")}{(auxiliary ? "-aux" : "")}{(batchNorm ? "_bn" : "")}";
        if (wide is not (3 or 5))
        {
            throw new ConfigurationException($"model '{name}': the wide branch's kernel must be 3 or 5, got {wide}");
        }
        Blocks.Classes(name, classes);
        var model = new ModelBuilder(name);
        var conv = new ConvUnit(model, batchNorm);
        conv.Add("conv1", 64, 7, stride: 2, padding: 3);
        model.MaxPool2d(3, stride: 2, ceilMode: true, name: "maxpool1");
        conv.Add("conv2", 64, 1);
        conv.Add("conv3", 192, 3, padding: 1);
        model.MaxPool2d(3, stride: 2, ceilMode: true, name: "maxpool2");
        string last = "maxpool2";
        foreach ((Module module, string? poolAfter) in Modules)
        {
            last = naive ? Naive(model, conv, module, last, wide) : Inception(model, conv, module, last, wide);
            if (auxiliary && module.Name is "inception4a" or "inception4d")
            {
                Auxiliary(model, conv, module.Name == "inception4a" ? "aux1" : "aux2", last, classes);
            }
            if (poolAfter is not null)
            {
                // torchvision's maxpool4 is 2/2; both give 7×7 from 14×14 with ceil mode.
                int pool = poolAfter == "maxpool4" ? 2 : 3;
                model.MaxPool2d(pool, stride: 2, ceilMode: true, name: poolAfter, inputs: last);
                last = poolAfter;
            }
        }
        double dropout = batchNorm ? 0.2 : 0.4;
        model.GlobalAvgPool("avgpool", last).Dropout(dropout, "dropout").Dense(classes, name: ClassicModelsPlugin.HeadName);
        string layout = batchNorm ? "torchvision's" : "the paper's";
        string heads = auxiliary ? "with auxiliary classifiers after 4a and 4d (loss weight 0.3 each in training, unused at inference)" : "without auxiliary classifiers";
        string modules = naive ? $"naive inception modules (1×1, 3×3, {wide}×{wide}, max-pool)" : $"inception modules (1×1, 1×1→3×3, 1×1→{wide}×{wide}, max-pool→1×1)";
        return new ModelDefinition(
            $"GoogLeNet (Inception v1), {layout} form for 3×224×224 {heads}: conv 7×7/2, max-pool, conv 1×1, 3×3, max-pool, {modules} 3a–3b, 4a–4e, 5a–5b with max-pools between, global avg-pool, dropout {dropout}, dense {classes}{(batchNorm ? "; batch norm after every convolution" : "")}; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? Blocks.ImageNetInput, 3) };
    }

    /// <summary>
    /// An auxiliary classifier on <paramref name="input"/> (paper, section 5; torchvision's
    /// InceptionAux): avg-pool 5×5/3 (14×14 → 4×4), conv 128@1×1, dense 1024, ReLU, dropout 0.7,
    /// dense classes; its loss counts 0.3 in training and it is unused at inference. The next
    /// module names its input, so the head is a side branch.
    /// </summary>
    private static void Auxiliary(ModelBuilder model, ConvUnit conv, string prefix, string input, int classes)
    {
        model.AvgPool2d(5, stride: 3, name: $"{prefix}_pool", inputs: input);
        conv.Add($"{prefix}", 128, 1);
        model.Flatten($"{prefix}_flatten").Dense(1024, name: $"{prefix}_fc1").Relu($"{prefix}_fc1_relu").Dropout(0.7, $"{prefix}_dropout")
            .Dense(classes, name: $"{prefix}_fc2")
            .AuxiliaryOutput($"{prefix}_fc2", AuxiliaryLossWeight);
    }

    /// <summary>The weight of each auxiliary classifier's loss in the training loss (paper: 0.3).</summary>
    public const double AuxiliaryLossWeight = 0.3;

    /// <summary>The four branches with reductions, concatenated; returns the concat's name.</summary>
    private static string Inception(ModelBuilder model, ConvUnit conv, Module m, string input, int wide)
    {
        string p = m.Name;
        string b1 = conv.Add($"{p}_branch1", m.OneByOne, 1, input: input);
        conv.Add($"{p}_branch2_0", m.Reduce3, 1, input: input);
        string b2 = conv.Add($"{p}_branch2_1", m.Out3, 3, padding: 1);
        conv.Add($"{p}_branch3_0", m.ReduceWide, 1, input: input);
        string b3 = conv.Add($"{p}_branch3_1", m.OutWide, wide, padding: wide / 2);
        model.MaxPool2d(3, stride: 1, padding: 1, ceilMode: true, name: $"{p}_branch4_0_pool", inputs: input);
        string b4 = conv.Add($"{p}_branch4_1", m.PoolProjection, 1);
        model.Concat(p, b1, b2, b3, b4);
        return p;
    }

    /// <summary>The naive module: 1×1, 3×3, wide convolutions and max-pool on the input, concatenated.</summary>
    private static string Naive(ModelBuilder model, ConvUnit conv, Module m, string input, int wide)
    {
        string p = m.Name;
        string b1 = conv.Add($"{p}_branch1", m.OneByOne, 1, input: input);
        string b2 = conv.Add($"{p}_branch2", m.Out3, 3, padding: 1, input: input);
        string b3 = conv.Add($"{p}_branch3", m.OutWide, wide, padding: wide / 2, input: input);
        string b4 = $"{p}_branch4_pool";
        model.MaxPool2d(3, stride: 1, padding: 1, ceilMode: true, name: b4, inputs: input);
        model.Concat(p, b1, b2, b3, b4);
        return p;
    }

    /// <summary>torchvision's BasicConv2d: convolution, batch norm (optional), ReLU.</summary>
    private sealed class ConvUnit(ModelBuilder model, bool batchNorm)
    {
        /// <summary>Adds <c>{prefix}_conv</c> (+ <c>_bn</c>) + <c>_relu</c> after <paramref name="input"/> (or the last layer); returns the ReLU's name.</summary>
        public string Add(string prefix, int filters, int kernel, int stride = 1, int padding = 0, string? input = null)
        {
            string[] inputs = input is null ? [] : [input];
            model.Conv2d(filters, kernel, stride: stride, padding: padding, bias: !batchNorm, name: $"{prefix}_conv", inputs: inputs);
            if (batchNorm)
            {
                model.BatchNorm(epsilon: 0.001, name: $"{prefix}_bn");
            }
            model.Relu($"{prefix}_relu");
            return $"{prefix}_relu";
        }
    }
}
