// Trains LeNet-5 on MNIST through the host API, with the training loop written out: arrays in,
// class indices as targets, arrays out, and the weights moved to a second network by name.
//   dotnet samples/HostApp/bin/Release/net10.0/HostApp.dll [MNIST folder] [training images] [epochs]
using System.Globalization;
using Engine;
using Engine.Core;
using Engine.Host;

string folder = args.Length > 0 ? args[0] : "data/mnist";
int trainCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
int epochs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
const int BatchSize = 32;
const int TestCount = 1_000;

try
{
    using var host = EngineHost.Create(); // plugins/ beside this app, then ENGINE_PLUGIN_PATH
    using IBackend backend = host.CreateBackend("cpu");
    DatasetSplits mnist = host.LoadDataset("mnist", folder);
    Shape sample = mnist.Train.SampleShape; // [1, 28, 28]
    using Network net = host.BuildNetwork(host.ResolveModel("lenet5"), backend, sample, seed: 1);
    using ILoss loss = host.CreateLoss("softmax-cross-entropy");
    using IOptimizer sgd = host.CreateOptimizer("sgd", new() { ["lr"] = 0.05, ["momentum"] = 0.9 });

    int size = (int)sample.ElementCount;
    var x = new float[BatchSize * size];
    var y = new int[BatchSize];
    int steps = epochs * (trainCount / BatchSize);
    for (int step = 0; step < steps; step++)
    {
        for (int i = 0; i < BatchSize; i++)
        {
            int k = ((step * BatchSize) + i) % trainCount;
            mnist.Train.CopySample(k, x.AsSpan(i * size, size));
            y[i] = mnist.Train.GetLabel(k);
        }
        sgd.LearningRate = 0.05 * 0.5 * (1 + Math.Cos(Math.PI * step / steps)); // cosine decay to 0
        using Tensor input = backend.FromArray(x, new Shape(BatchSize, 1, 28, 28));
        using Tensor labels = backend.FromLabels(y); // class indices: no one-hot vectors
        LossOutput result = loss.Compute(net.Forward(input, training: true), labels);
        net.Backward(result.Gradient);
        sgd.Step(net.Parameters);
        if ((step + 1) % 100 == 0)
        {
            Console.WriteLine($"step {step + 1}/{steps}  loss {result.Value.ToArray()[0]:F4}");
        }
    }

    // The learned weights, by name, into a second network built from the same spec.
    StateDictionary weights = net.StateDict();
    using Network copy = host.BuildNetwork(host.ResolveModel("lenet5"), backend, sample, seed: 2);
    copy.LoadStateDict(weights);

    Console.WriteLine(FormattableString.Invariant($"test accuracy {Accuracy(net):F4} on {TestCount} images"));
    Console.WriteLine(FormattableString.Invariant($"reloaded accuracy {Accuracy(copy):F4}"));

    double Accuracy(Network network)
    {
        int correct = 0;
        var images = new float[TestCount * size];
        for (int i = 0; i < TestCount; i++)
        {
            mnist.Test.CopySample(i, images.AsSpan(i * size, size));
        }
        using Tensor input = backend.FromArray(images, new Shape(TestCount, 1, 28, 28));
        float[] scores = network.Forward(input, training: false).ToArray(); // TestCount × 10
        for (int i = 0; i < TestCount; i++)
        {
            int best = 0;
            for (int c = 1; c < 10; c++)
            {
                best = scores[(i * 10) + c] > scores[(i * 10) + best] ? c : best;
            }
            correct += best == mnist.Test.GetLabel(i) ? 1 : 0;
        }
        return (double)correct / TestCount;
    }
}
catch (EngineException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
return 0;
