namespace Engine.Backend.OpenBlas.Tests;

public sealed class ElementwiseTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    public static TheoryData<UnaryOp, int, DataType> UnaryCases()
    {
        var data = new TheoryData<UnaryOp, int, DataType>();
        foreach (UnaryOp op in Enum.GetValues<UnaryOp>())
        {
            foreach (int length in TestData.OddLengths)
            {
                foreach (DataType type in TestData.Types)
                {
                    data.Add(op, length, type);
                }
            }
        }
        return data;
    }

    public static TheoryData<BinaryOp, int, DataType> BinaryCases()
    {
        var data = new TheoryData<BinaryOp, int, DataType>();
        foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
        {
            foreach (int length in TestData.OddLengths)
            {
                foreach (DataType type in TestData.Types)
                {
                    data.Add(op, length, type);
                }
            }
        }
        return data;
    }

    public static TheoryData<Activation, int, DataType> ActivationCases()
    {
        var data = new TheoryData<Activation, int, DataType>();
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            foreach (int length in TestData.OddLengths)
            {
                foreach (DataType type in TestData.Types)
                {
                    data.Add(activation, length, type);
                }
            }
        }
        return data;
    }

    private static double UnaryReference(UnaryOp op, double x) => op switch
    {
        UnaryOp.Identity => x,
        UnaryOp.Negate => -x,
        UnaryOp.Abs => Math.Abs(x),
        UnaryOp.Square => x * x,
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Exp => Math.Exp(x),
        UnaryOp.Log => Math.Log(x),
        UnaryOp.Relu => Math.Max(0, x),
        UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-x)),
        UnaryOp.Tanh => Math.Tanh(x),
        UnaryOp.Sign => Math.Sign(x),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static double BinaryReference(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Subtract => a - b,
        BinaryOp.Multiply => a * b,
        BinaryOp.Divide => a / b,
        BinaryOp.Max => Math.Max(a, b),
        BinaryOp.Min => Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static (double Relative, double Absolute) Tolerance(DataType type) =>
        type == DataType.Float32 ? (1e-6, 1e-7) : (1e-13, 1e-15);

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryMatchesScalarMath(UnaryOp op, int length, DataType type)
    {
        var rng = new Random((int)op * 1000 + length);
        bool positive = op is UnaryOp.Sqrt or UnaryOp.Log;
        double[] x = positive ? TestData.Random(rng, length, 0.01, 50, type) : TestData.Random(rng, length, -8, 8, type);
        if (!positive && length > 2)
        {
            x[1] = 0; // exercises Relu/Abs/Sign at the kink
        }
        double[] expected = TestData.Round([.. x.Select(v => UnaryReference(op, v))], type);
        (double rel, double abs) = Tolerance(type);

        using Tensor tx = TestData.Upload(_backend, x, new Shape(length), type);
        using Tensor ty = _backend.Allocate(new Shape(length), type);
        _backend.Unary(op, tx, ty);
        TestData.AssertClose(expected, TestData.Download(_backend, ty), rel, abs, $"{op} {type} n={length}");
        Assert.Equal(x, TestData.Download(_backend, tx));

        // In place: y is x.
        _backend.Unary(op, tx, tx);
        TestData.AssertClose(expected, TestData.Download(_backend, tx), rel, abs, $"{op} {type} n={length} in place");
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryMatchesScalarMath(BinaryOp op, int length, DataType type)
    {
        var rng = new Random((int)op * 1000 + length + 17);
        double[] a = TestData.Random(rng, length, -10, 10, type);
        double[] b = TestData.Random(rng, length, 0.5, 10, type);
        for (int i = 0; i < length; i += 2)
        {
            b[i] = -b[i];
        }
        double[] expected = TestData.Round([.. a.Zip(b, (p, q) => BinaryReference(op, p, q))], type);
        (double rel, double abs) = Tolerance(type);

        using Tensor ta = TestData.Upload(_backend, a, new Shape(length), type);
        using Tensor tb = TestData.Upload(_backend, b, new Shape(length), type);
        using Tensor ty = _backend.Allocate(new Shape(length), type);
        _backend.Binary(op, ta, tb, ty);
        TestData.AssertClose(expected, TestData.Download(_backend, ty), rel, abs, $"{op} {type} n={length}");

        // y aliases a, then b.
        _backend.Binary(op, ta, tb, ta);
        TestData.AssertClose(expected, TestData.Download(_backend, ta), rel, abs, $"{op} {type} n={length} into a");
        TestData.Set(_backend, ta, a);
        _backend.Binary(op, ta, tb, tb);
        TestData.AssertClose(expected, TestData.Download(_backend, tb), rel, abs, $"{op} {type} n={length} into b");
    }

    [Theory]
    [MemberData(nameof(TestData.LengthsAndTypes), MemberType = typeof(TestData))]
    public void AxpbyMatchesReference(int length, DataType type)
    {
        var rng = new Random(length);
        (double rel, double abs) = Tolerance(type);
        (double Alpha, double Beta)[] scales = [(2, 0), (0.5, -1.5), (1, 1), (0, 2), (-3, 1), (0, 0)];
        foreach ((double alpha, double beta) in scales)
        {
            double[] x = TestData.Random(rng, length, -4, 4, type);
            double[] y = beta == 0 ? Enumerable.Repeat(double.NaN, length).ToArray() : TestData.Random(rng, length, -4, 4, type);
            double[] expected = TestData.Round([.. x.Zip(y, (p, q) => (alpha * p) + (beta == 0 ? 0 : beta * q))], type);
            using Tensor tx = TestData.Upload(_backend, x, new Shape(length), type);
            using Tensor ty = TestData.Upload(_backend, y, new Shape(length), type);
            _backend.Axpby(alpha, tx, beta, ty);
            TestData.AssertClose(expected, TestData.Download(_backend, ty), rel, abs, $"Axpby({alpha}, {beta}) {type} n={length}");
        }

        // x is y: y ← αy + βy.
        double[] z = TestData.Random(rng, length, -4, 4, type);
        using Tensor tz = TestData.Upload(_backend, z, new Shape(length), type);
        _backend.Axpby(2, tz, -0.5, tz);
        TestData.AssertClose(TestData.Round([.. z.Select(v => 1.5 * v)], type), TestData.Download(_backend, tz), rel, abs, "Axpby aliased");
    }

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void ActivationBackwardMatchesFormula(Activation activation, int length, DataType type)
    {
        var rng = new Random((int)activation * 100 + length);
        double[] x = TestData.Random(rng, length, -3, 3, type);
        if (length > 3)
        {
            x[2] = 0; // Relu's gradient at 0 is 0 (x > 0 is false)
        }
        // A parameter that is neither 0 nor 1, so a kernel ignoring it would fail.
        double alpha = activation == Activation.Elu ? 1.3 : 0.1;
        double[] y = activation switch
        {
            Activation.Relu => [.. x.Select(v => Math.Max(0, v))],
            Activation.Sigmoid => [.. x.Select(v => 1 / (1 + Math.Exp(-v)))],
            Activation.LeakyRelu => [.. x.Select(v => v > 0 ? v : alpha * v)],
            Activation.Elu => [.. x.Select(v => v > 0 ? v : alpha * (Math.Exp(v) - 1))],
            _ => [.. x.Select(Math.Tanh)],
        };
        y = TestData.Round(y, type);
        double[] dy = TestData.Random(rng, length, -2, 2, type);
        double[] expected = new double[length];
        for (int i = 0; i < length; i++)
        {
            expected[i] = activation switch
            {
                Activation.Relu => x[i] > 0 ? dy[i] : 0,
                Activation.Sigmoid => dy[i] * y[i] * (1 - y[i]),
                Activation.LeakyRelu => x[i] > 0 ? dy[i] : alpha * dy[i],
                Activation.Elu => x[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha),
                _ => dy[i] * (1 - (y[i] * y[i])),
            };
        }
        expected = TestData.Round(expected, type);
        (double rel, double abs) = Tolerance(type);

        using Tensor tx = TestData.Upload(_backend, x, new Shape(length), type);
        using Tensor ty = TestData.Upload(_backend, y, new Shape(length), type);
        using Tensor tdy = TestData.Upload(_backend, dy, new Shape(length), type);
        using Tensor tdx = _backend.Allocate(new Shape(length), type);
        _backend.ActivationBackward(activation, tx, ty, tdy, tdx, alpha);
        TestData.AssertClose(expected, TestData.Download(_backend, tdx), rel, abs, $"{activation} {type} n={length}");

        // dx aliases dy.
        _backend.ActivationBackward(activation, tx, ty, tdy, tdy, alpha);
        TestData.AssertClose(expected, TestData.Download(_backend, tdy), rel, abs, $"{activation} {type} n={length} in place");
    }

    [Theory]
    [MemberData(nameof(TestData.LengthsAndTypes), MemberType = typeof(TestData))]
    public void FillSetsEveryElement(int length, DataType type)
    {
        using Tensor t = _backend.Allocate(new Shape(length), type);
        _backend.Fill(t, 0.1);
        Assert.All(TestData.Download(_backend, t), v => Assert.Equal(type == DataType.Float32 ? (double)0.1f : 0.1, v));
    }
}
