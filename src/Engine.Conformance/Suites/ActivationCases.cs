using System.Globalization;

namespace Engine.Conformance;

/// <summary>
/// Every activation forward and backward, with the parameters worth telling apart: leaky slopes in
/// (0, 1), negative and above 1 (where max(x, αx) would be wrong), ELU's α at 1 and away from it; the
/// kink x = 0 takes the x ≤ 0 side on every backend.
/// </summary>
internal static class ActivationCases
{
    private static readonly (Activation Activation, double Alpha)[] Activations =
    [
        (Activation.Relu, 0), (Activation.Sigmoid, 0), (Activation.Tanh, 0),
        (Activation.LeakyRelu, 0.01), (Activation.LeakyRelu, -0.2), (Activation.LeakyRelu, 1.5),
        (Activation.Elu, 1), (Activation.Elu, 0.7),
    ];

    private static readonly Shape Shape = new(3, 5, 7);

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (var (activation, alpha) in Activations)
            {
                string suffix = alpha == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" α {alpha}");
                var forward = new OpDescriptor(BackendOp.ActivationForward, type) { Activation = activation, Shape = Shape };
                yield return KitCase.Of(forward + suffix, forward, c => Forward(c, activation, alpha));
                var backward = new OpDescriptor(BackendOp.ActivationBackward, type) { Activation = activation, Shape = Shape };
                yield return KitCase.Of(backward + suffix, backward, c => Backward(c, activation, alpha));
            }
        }
    }

    public static double Reference(Activation activation, double alpha, double x) => activation switch
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

    private static double[] Input(CaseContext c)
    {
        double[] x = c.Random(Shape.ElementCount, 61, 3);
        x[1] = 0;
        return x;
    }

    private static void Forward(CaseContext c, Activation activation, double alpha)
    {
        double[] x = Input(c);
        double[] expected = x.Select(v => Reference(activation, alpha, v)).ToArray();
        Tensor tx = c.Upload(Shape, x), ty = c.Garbage(Shape);
        c.Backend.ActivationForward(activation, tx, ty, alpha);
        c.Close(expected, ty, "y");
        c.Backend.ActivationForward(activation, tx, tx, alpha);
        c.Close(expected, tx, "y in place");
    }

    private static void Backward(CaseContext c, Activation activation, double alpha)
    {
        double[] x = Input(c), dy = c.Random(Shape.ElementCount, 62);
        double[] y = c.Round(x.Select(v => Reference(activation, alpha, v)).ToArray());
        double[] expected = x.Select((v, i) => dy[i] * Derivative(activation, alpha, v, y[i])).ToArray();
        Tensor tx = c.Upload(Shape, x), ty = c.Upload(Shape, y), tdy = c.Upload(Shape, dy), tdx = c.Garbage(Shape);
        c.Backend.ActivationBackward(activation, tx, ty, tdy, tdx, alpha);
        c.Close(expected, tdx, "dx");
        c.Backend.ActivationBackward(activation, tx, ty, tdy, tdy, alpha);
        c.Close(expected, tdy, "dx into dy");
    }
}
