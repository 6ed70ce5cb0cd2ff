namespace Engine.Tests;

/// <summary>Explicit copies between float64 test data and backend tensors of either data type.</summary>
internal static class HostTensors
{
    public static Tensor Upload(IBackend backend, Shape shape, double[] values, DataType type = DataType.Float64)
    {
        Tensor t = backend.Allocate(shape, type);
        if (type == DataType.Float64)
        {
            backend.CopyFromHost<double>(values, t);
        }
        else
        {
            backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), t);
        }
        return t;
    }

    public static double[] Download(Tensor t)
    {
        if (t.DataType == DataType.Float64)
        {
            var d = new double[t.ElementCount];
            t.Backend.CopyToHost<double>(t, d);
            return d;
        }
        var f = new float[t.ElementCount];
        t.Backend.CopyToHost<float>(t, f);
        return f.Select(v => (double)v).ToArray();
    }
}
