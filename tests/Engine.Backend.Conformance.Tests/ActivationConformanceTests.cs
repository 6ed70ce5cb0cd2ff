namespace Engine.Backend.Conformance.Tests;

public sealed class ActivationConformanceTests
{
    public static TheoryData<string, DataType> ForwardCases => Backends.For(BackendOp.ActivationForward);

    public static TheoryData<string, DataType> BackwardCases => Backends.For(BackendOp.ActivationBackward);

    public static TheoryData<string, DataType> SoftmaxBackwardCases => Backends.For(BackendOp.SoftmaxBackward);

    // Each activation with the parameters worth telling apart: leaky slopes in (0, 1), negative and
    // above 1 (where max(x, αx) would be wrong), ELU's α at 1 and away from it.
    private static readonly (Activation Activation, double Alpha)[] Activations =
    [
        (Activation.Relu, 0), (Activation.Sigmoid, 0), (Activation.Tanh, 0),
        (Activation.LeakyRelu, 0.01), (Activation.LeakyRelu, -0.2), (Activation.LeakyRelu, 1.5),
        (Activation.Elu, 1), (Activation.Elu, 0.7),
    ];

    private static double Forward(Activation activation, double alpha, double x) => activation switch
    {
        Activation.Relu => Math.Max(0, x),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.LeakyRelu => x > 0 ? x : alpha * x,
        Activation.Elu => x > 0 ? x : alpha * (Math.Exp(x) - 1),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    private static double Derivative(Activation activation, double alpha, double x, double y) => activation switch
    {
        Activation.Relu => x > 0 ? 1 : 0,
        Activation.Sigmoid => y * (1 - y),
        Activation.Tanh => 1 - (y * y),
        Activation.LeakyRelu => x > 0 ? 1 : alpha,
        Activation.Elu => x > 0 ? 1 : y + alpha,
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    private static double[] Input(int count, DataType type)
    {
        double[] x = TensorData.Random(count, 61, type, scale: 3);
        x[1] = 0; // the kink: every backend takes the x ≤ 0 side there
        return x;
    }

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void ForwardMatchesTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        var shape = new Shape(3, 5, 7); // an odd count: vector bodies and scalar tails
        double[] x = Input((int)shape.ElementCount, type);
        foreach (var (activation, alpha) in Activations)
        {
            double[] expected = x.Select(v => Forward(activation, alpha, v)).ToArray();
            using Tensor tx = TensorData.Upload(backend, shape, x, type);
            using Tensor ty = backend.Allocate(shape, type);
            backend.ActivationForward(activation, tx, ty, alpha);
            TensorData.AssertClose(expected, TensorData.Download(ty), type, $"{activation}(α = {alpha})");
            backend.ActivationForward(activation, tx, tx, alpha);
            TensorData.AssertClose(expected, TensorData.Download(tx), type, $"{activation}(α = {alpha}) in place");
        }
    }

    [Theory]
    [MemberData(nameof(BackwardCases))]
    public void BackwardMatchesTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        var shape = new Shape(105);
        double[] x = Input(105, type);
        double[] dy = TensorData.Random(105, 62, type);
        foreach (var (activation, alpha) in Activations)
        {
            double[] y = x.Select(v => Forward(activation, alpha, v)).Select(v => type == DataType.Float32 ? (float)v : v).ToArray();
            double[] expected = x.Select((v, i) => dy[i] * Derivative(activation, alpha, v, y[i])).ToArray();
            using Tensor tx = TensorData.Upload(backend, shape, x, type);
            using Tensor ty = TensorData.Upload(backend, shape, y, type);
            using Tensor tdy = TensorData.Upload(backend, shape, dy, type);
            using Tensor tdx = backend.Allocate(shape, type);
            backend.ActivationBackward(activation, tx, ty, tdy, tdx, alpha);
            TensorData.AssertClose(expected, TensorData.Download(tdx), type, $"{activation}'(α = {alpha})");
            backend.ActivationBackward(activation, tx, ty, tdy, tdy, alpha);
            TensorData.AssertClose(expected, TensorData.Download(tdy), type, $"{activation}'(α = {alpha}) into dy");
        }
    }

    [Theory]
    [MemberData(nameof(SoftmaxBackwardCases))]
    public void SoftmaxBackwardMatchesTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        // N×2×150: rows are the 300 features of a sample (the matrix view), longer than any chunk.
        const int rows = 4, columns = 300;
        var shape = new Shape(rows, 2, columns / 2);
        double[] z = TensorData.Random(rows * columns, 63, type, scale: 2);
        double[] dy = TensorData.Random(rows * columns, 64, type);
        foreach (bool log in new[] { false, true })
        {
            var y = new double[z.Length];
            var expected = new double[z.Length];
            for (int r = 0; r < rows; r++)
            {
                var row = new Range(r * columns, (r + 1) * columns);
                double max = z[row].Max();
                double logSum = max + Math.Log(z[row].Sum(v => Math.Exp(v - max)));
                for (int j = r * columns; j < (r + 1) * columns; j++)
                {
                    double value = log ? z[j] - logSum : Math.Exp(z[j] - logSum);
                    y[j] = type == DataType.Float32 ? (float)value : value;
                }
                double dot = 0, sum = 0;
                for (int j = r * columns; j < (r + 1) * columns; j++)
                {
                    dot += dy[j] * y[j];
                    sum += dy[j];
                }
                for (int j = r * columns; j < (r + 1) * columns; j++)
                {
                    expected[j] = log ? dy[j] - (Math.Exp(y[j]) * sum) : y[j] * (dy[j] - dot);
                }
            }
            using Tensor ty = TensorData.Upload(backend, shape, y, type);
            using Tensor tdy = TensorData.Upload(backend, shape, dy, type);
            using Tensor tdx = backend.Allocate(shape, type);
            backend.SoftmaxBackward(ty, tdy, tdx, log);
            TensorData.AssertClose(expected, TensorData.Download(tdx), type, $"softmax backward (log = {log})");
            backend.SoftmaxBackward(ty, tdy, tdy, log);
            TensorData.AssertClose(expected, TensorData.Download(tdy), type, $"softmax backward (log = {log}) into dy");
            using Tensor freshDy = TensorData.Upload(backend, shape, dy, type);
            backend.SoftmaxBackward(ty, freshDy, ty, log);
            TensorData.AssertClose(expected, TensorData.Download(ty), type, $"softmax backward (log = {log}) into y");
        }
    }
}
