using Engine.Layers.Standard;

namespace Engine.Models.Classic;

/// <summary>
/// AlexNet (Krizhevsky, Sutskever and Hinton, 2012) in two forms. <c>alexnet</c> is torchvision's
/// single-tower layout: conv 64@11×11/4 pad 2, max-pool 3/2, conv 192@5×5 pad 2, max-pool 3/2, conv
/// 384, 256, 256 @3×3 pad 1, max-pool 3/2 (ReLU after each convolution), adaptive average pool to
/// 6×6 (so any input of at least 63×63 works), dropout, dense 4096, ReLU, dropout, dense 4096, ReLU,
/// dense classes; 61,100,840 parameters and 714,188,480 MACs at 3×224×224 with 1000 classes.
/// <c>alexnet-2012</c> is the paper's network on 3×227×227 (Caffe's input): 96@11×11/4, LRN (n 5,
/// α 1e-4, β 0.75, k 2), max-pool 3/2, 256@5×5 pad 2 in two groups (the two GPUs), LRN, max-pool,
/// 384@3×3 (full), 384 and 256 @3×3 in two groups, max-pool, then the same classifier;
/// 60,965,224 parameters.
/// </summary>
public static class AlexNetModel
{
    /// <summary>torchvision's AlexNet for <paramref name="classes"/> classes and a 3×H×W input (default 3×224×224).</summary>
    public static IModelDefinition Torchvision(int classes = 1000, Shape? input = null)
    {
        const string name = "alexnet";
        var model = new ModelBuilder(name)
            .Conv2d(64, 11, stride: 4, padding: 2, name: "conv1").Relu("relu1").MaxPool2d(3, stride: 2, name: "pool1")
            .Conv2d(192, 5, padding: 2, name: "conv2").Relu("relu2").MaxPool2d(3, stride: 2, name: "pool2")
            .Conv2d(384, 3, padding: 1, name: "conv3").Relu("relu3")
            .Conv2d(256, 3, padding: 1, name: "conv4").Relu("relu4")
            .Conv2d(256, 3, padding: 1, name: "conv5").Relu("relu5").MaxPool2d(3, stride: 2, name: "pool5")
            .AdaptiveAvgPool2d(6, name: "avgpool");
        Classifier(model, Blocks.Classes(name, classes));
        return new ModelDefinition(
            $"AlexNet, torchvision's layout for 3×224×224 (conv 64@11×11/4, 192@5×5, 384, 256, 256 @3×3, max-pools, adaptive avg-pool 6×6, dropout, dense 4096, 4096, {classes}); 61.1M parameters, 0.71G MACs per image at 1000 classes; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? Blocks.ImageNetInput, 3) };
    }

    /// <summary>The 2012 paper's AlexNet (LRN, two-group convolutions) for a 3×H×W input (default 3×227×227).</summary>
    public static IModelDefinition Paper(int classes = 1000, Shape? input = null)
    {
        const string name = "alexnet-2012";
        var model = new ModelBuilder(name)
            .Conv2d(96, 11, stride: 4, name: "conv1").Relu("relu1").Lrn(name: "norm1").MaxPool2d(3, stride: 2, name: "pool1")
            .Conv2d(256, 5, padding: 2, groups: 2, name: "conv2").Relu("relu2").Lrn(name: "norm2").MaxPool2d(3, stride: 2, name: "pool2")
            .Conv2d(384, 3, padding: 1, name: "conv3").Relu("relu3")
            .Conv2d(384, 3, padding: 1, groups: 2, name: "conv4").Relu("relu4")
            .Conv2d(256, 3, padding: 1, groups: 2, name: "conv5").Relu("relu5").MaxPool2d(3, stride: 2, name: "pool5");
        Classifier(model, Blocks.Classes(name, classes));
        return new ModelDefinition(
            $"AlexNet as in the 2012 paper for 3×227×227 (conv 96@11×11/4, LRN, 256@5×5 in 2 groups, LRN, 384, 384 (2 groups), 256 (2 groups) @3×3, max-pools, dropout, dense 4096, 4096, {classes}); 61.0M parameters; head 'classifier'",
            model.Build())
        { DefaultInput = Blocks.Input(name, input ?? new Shape(3, 227, 227), 3) };
    }

    private static void Classifier(ModelBuilder model, int classes) =>
        model.Flatten("flatten")
            .Dropout(0.5, "drop6").Dense(4096, name: "fc6").Relu("relu6")
            .Dropout(0.5, "drop7").Dense(4096, name: "fc7").Relu("relu7")
            .Dense(classes, name: ClassicModelsPlugin.HeadName);
}
