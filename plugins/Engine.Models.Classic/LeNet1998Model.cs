using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// LeNet-5 in the 1998 paper's layout (LeCun, Bottou, Bengio and Haffner) on 1×32×32: C1 conv
/// 6@5×5, S2 2×2 average pool, C3 conv 16@5×5, S4 2×2 average pool, C5 conv 120@5×5 (1×1 output),
/// F6 dense 84, output dense 10, with tanh after C1, S2, C3, S4, C5 and F6. Simplifications, as
/// usual today: C3 connects every S2 map (the paper's sparse connection table is not reproduced),
/// the subsampling layers are plain averages without their trainable coefficient and bias, tanh is
/// unscaled, and the output is a dense layer instead of Euclidean RBF units. 61,706 parameters;
/// 416,520 MACs per 32×32 image.
/// </summary>
public static class LeNet1998Model
{
    /// <summary>The definition registered as <c>lenet5-1998</c>.</summary>
    public static IModelDefinition Create(int classes = 10, Shape? input = null)
    {
        const string name = "lenet5-1998";
        ModelSpec spec = new ModelBuilder(name)
            .Conv2d(6, 5, name: "c1").Activation("tanh", "tanh1").AvgPool2d(2, name: "s2").Activation("tanh", "tanh2")
            .Conv2d(16, 5, name: "c3").Activation("tanh", "tanh3").AvgPool2d(2, name: "s4").Activation("tanh", "tanh4")
            .Conv2d(120, 5, name: "c5").Activation("tanh", "tanh5").Flatten("flatten")
            .Dense(84, name: "f6").Activation("tanh", "tanh6")
            .Dense(Blocks.Classes(name, classes), name: ClassicModelsPlugin.HeadName)
            .Build();
        return new ModelDefinition(
            $"LeNet-5 as in 1998 for 1×32×32 (C1 conv 6@5×5, S2 avg-pool, C3 conv 16@5×5 fully connected, S4 avg-pool, C5 conv 120@5×5, F6 dense 84, dense {classes}; tanh); 61,706 parameters, 0.42M MACs per image; head 'classifier'",
            spec)
        { DefaultInput = Blocks.Input(name, input ?? new Shape(1, 32, 32), 1) };
    }
}
