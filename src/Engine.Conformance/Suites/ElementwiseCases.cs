namespace Engine.Conformance;

/// <summary>Unary and binary functions and Axpby, out of place and in place, on odd element counts (vector bodies and scalar tails).</summary>
internal static class ElementwiseCases
{
    private static readonly Shape Shape = new(3, 5, 7);

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (UnaryOp op in Enum.GetValues<UnaryOp>())
            {
                var d = new OpDescriptor(BackendOp.Unary, type) { Unary = op, Shape = Shape };
                yield return KitCase.Of(d.ToString(), d, c => Unary(c, op));
            }
            foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
            {
                var d = new OpDescriptor(BackendOp.Binary, type) { Binary = op, Shape = Shape };
                yield return KitCase.Of(d.ToString(), d, c => Binary(c, op));
            }
            var axpby = new OpDescriptor(BackendOp.Axpby, type) { Shape = Shape };
            yield return KitCase.Of(axpby.ToString(), axpby, Axpby);
        }
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

    private static void Unary(CaseContext c, UnaryOp op)
    {
        double[] x = c.Random(Shape.ElementCount, 31, 2);
        if (op is UnaryOp.Sqrt or UnaryOp.Log)
        {
            x = c.Round(x.Select(v => Math.Abs(v) + 0.01).ToArray());
        }
        x[3] = 0; // sign(0) = 0, relu's kink
        if (op is UnaryOp.Sqrt or UnaryOp.Log)
        {
            x[3] = 1;
        }
        double[] expected = x.Select(v => UnaryReference(op, v)).ToArray();
        Tensor tx = c.Upload(Shape, x);
        Tensor ty = c.Garbage(Shape);
        c.Backend.Unary(op, tx, ty);
        c.Close(expected, ty, "y");
        c.Backend.Unary(op, tx, tx);
        c.Close(expected, tx, "y in place (x is y)");
    }

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

    private static void Binary(CaseContext c, BinaryOp op)
    {
        double[] a = c.Random(Shape.ElementCount, 32);
        double[] b = c.Random(Shape.ElementCount, 33);
        if (op == BinaryOp.Divide)
        {
            b = c.Round(b.Select(v => v + (v < 0 ? -0.5 : 0.5)).ToArray());
        }
        b[4] = a[4]; // equal operands for max and min
        double[] expected = a.Select((v, i) => BinaryReference(op, v, b[i])).ToArray();
        Tensor ta = c.Upload(Shape, a), tb = c.Upload(Shape, b), ty = c.Garbage(Shape);
        c.Backend.Binary(op, ta, tb, ty);
        c.Close(expected, ty, "y");
        c.Backend.Binary(op, ta, tb, ta);
        c.Close(expected, ta, "y into a");
        Tensor fresh = c.Upload(Shape, a);
        c.Backend.Binary(op, fresh, tb, tb);
        c.Close(expected, tb, "y into b");
    }

    private static void Axpby(CaseContext c)
    {
        double[] x = c.Random(Shape.ElementCount, 34), y = c.Random(Shape.ElementCount, 35);
        foreach (var (alpha, beta) in new[] { (0.5, 2.0), (-1.5, 0.0), (0.0, 0.75), (0.0, 0.0), (1.0, 1.0) })
        {
            Tensor tx = c.Upload(Shape, x);
            // β = 0 ignores y's old contents, NaN included.
            Tensor ty = beta == 0 ? c.Garbage(Shape) : c.Upload(Shape, y);
            c.Backend.Axpby(alpha, tx, beta, ty);
            c.Close(x.Select((v, i) => (alpha * v) + (beta == 0 ? 0 : beta * y[i])).ToArray(), ty, $"α = {alpha}, β = {beta}");
        }
        Tensor same = c.Upload(Shape, x);
        c.Backend.Axpby(0.5, same, 2.0, same);
        c.Close(x.Select(v => 2.5 * v).ToArray(), same, "x is y");
    }
}
