namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Int32 tensors (class labels) are only stored and copied: every computing op refuses one in any
/// floating-point position, naming the op, the operand and the type, before its kernel runs.
/// </summary>
public sealed class LabelTypeTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    private static void Refused(string op, string operand, Action call)
    {
        var error = Assert.ThrowsAny<ArgumentException>(call);
        Assert.StartsWith($"{op}: {operand} ", error.Message);
        Assert.Contains("is Int32 but must be Float32 or Float64", error.Message);
    }

    [Fact]
    public void EveryComputingOpRefusesInt32Operands()
    {
        IBackend b = _backend;
        using Tensor f = b.Allocate(new Shape(2, 3, 4, 4));
        using Tensor i = b.Allocate(new Shape(2, 3, 4, 4), DataType.Int32);
        using Tensor vector = b.Allocate(new Shape(3));
        using Tensor labels = b.Allocate(new Shape(2), DataType.Int32);
        using Tensor rows = b.Allocate(new Shape(2, 3));
        using Tensor rowsInt = b.Allocate(new Shape(2, 3), DataType.Int32);
        using Tensor acc = b.Allocate(new Shape(2), DataType.Float64);
        using Tensor one = b.Allocate(new Shape(1), DataType.Int32);
        using Tensor norm = b.Allocate(new Shape(1), DataType.Float64);
        var conv = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        var pool = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));
        var sgd = new UpdateHyperparameters { LearningRate = 0.1 };

        Refused("Fill", "x", () => b.Fill(i, 1));
        Refused("Gemm", "B", () => b.Gemm(false, false, 1, f, i, 0, f));
        Refused("Unary(Relu)", "x", () => b.Unary(UnaryOp.Relu, i, f));
        Refused("Binary(Add)", "y", () => b.Binary(BinaryOp.Add, f, f, i));
        Refused("Axpby", "x", () => b.Axpby(1, i, 1, f));
        Refused("ActivationForward(Elu)", "y", () => b.ActivationForward(Activation.Elu, f, i, 1));
        Refused("ActivationBackward(Relu)", "dy", () => b.ActivationBackward(Activation.Relu, f, f, i, f));
        Refused("AddChannelBias", "y", () => b.AddChannelBias(i, vector));
        Refused("SumChannels", "x", () => b.SumChannels(i, vector));
        Refused("Sum", "x", () => b.Sum(i, vector));
        Refused("Softmax", "x", () => b.Softmax(i, f));
        Refused("SoftmaxBackward(log)", "dx", () => b.SoftmaxBackward(f, f, i, log: true));
        Refused("ConvolutionForward", "x", () => b.ConvolutionForward(conv, i, f, f));
        Refused("ConvolutionBackwardData", "dx", () => b.ConvolutionBackwardData(conv, f, f, i));
        Refused("ConvolutionBackwardFilter", "dw", () => b.ConvolutionBackwardFilter(conv, f, f, i));
        Refused("LocallyConnectedForward", "w", () => b.LocallyConnectedForward(conv, f, i, f));
        Refused("LocallyConnectedBackwardData", "dy", () => b.LocallyConnectedBackwardData(conv, i, f, f));
        Refused("LocallyConnectedBackwardFilter", "x", () => b.LocallyConnectedBackwardFilter(conv, i, f, f));
        Refused("PoolingForward", "x", () => b.PoolingForward(pool, i, f));
        Refused("PoolingBackward", "dx", () => b.PoolingBackward(pool, f, f, f, i));
        Refused("BatchNormForward", "runningMean", () => b.BatchNormForward(f, vector, vector, one, vector, vector, vector, f, 1e-5, 0.1, true));
        Refused("BatchNormBackward", "dGamma", () => b.BatchNormBackward(f, f, vector, vector, vector, f, one, vector));
        Refused("LrnForward", "scale", () => b.LrnForward(new LrnParameters(), f, f, i));
        Refused("LrnBackward", "x", () => b.LrnBackward(new LrnParameters(), i, f, f, f, f));
        Refused("DropoutMask", "mask", () => b.DropoutMask(i, 0.5, 1));
        Refused("CopyChannels", "destination", () => b.CopyChannels(f, 0, i, 0, 1));
        Refused("ScaleChannels", "scale", () => b.ScaleChannels(f, one, f));
        Refused("FillRandom", "x", () => b.FillRandom(i, RandomDistribution.Uniform, 0, 1, 1));
        Refused("OptimizerUpdate(Sgd)", "gradient", () => b.OptimizerUpdate(UpdateRule.Sgd, sgd, f, i, null, null, null));
        Refused("OneHot", "y", () => b.OneHot(labels, rowsInt));
        Refused("AccumulateLoss", "value", () => b.AccumulateLoss(one, 1, 1, acc));
        Refused("AccumulateTopK", "logits", () => b.AccumulateTopK(rowsInt, labels, acc));
        Refused("AccumulateConfusion", "logits", () => b.AccumulateConfusion(rowsInt, labels, acc));
        Refused("SumOfSquares", "x", () => b.SumOfSquares(i, acc, 0));
        Refused("ClipToNorm", "x", () => b.ClipToNorm(norm, 1, i));
    }

    [Fact]
    public void LabelsAreAcceptedWhereTheyBelongAndNowhereElse()
    {
        using Tensor labels = _backend.Allocate(new Shape(3), DataType.Int32);
        using Tensor copy = _backend.Allocate(new Shape(3), DataType.Int32);
        using Tensor y = _backend.Allocate(new Shape(3, 4));
        _backend.CopyFromHost<int>([2, 0, 7], labels);
        _backend.Copy(labels, copy);
        var host = new int[3];
        _backend.CopyToHost<int>(copy, host);
        Assert.Equal([2, 0, 7], host);

        _backend.OneHot(labels, y);
        var oneHot = new float[12];
        _backend.CopyToHost<float>(y, oneHot);
        Assert.Equal([0f, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0], oneHot); // 7 is outside [0, 4): a row of zeros

        // Labels must be Int32: float class indices are refused by name.
        var error = Assert.Throws<ArgumentException>(() => _backend.OneHot(y, y));
        Assert.Equal("OneHot: labels [3, 4] is Float32 but must be Int32 (Parameter 'labels')", error.Message);
    }
}
