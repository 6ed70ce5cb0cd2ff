namespace Engine.Conformance;

/// <summary>Explicit copies between float64 host data and backend tensors of any data type.</summary>
internal static class HostData
{
    public static Tensor Upload(IBackend backend, Shape shape, double[] values, DataType type)
    {
        Tensor t = backend.Allocate(shape, type);
        try
        {
            switch (type)
            {
                case DataType.Float64:
                    backend.CopyFromHost<double>(values, t);
                    break;
                case DataType.Float32:
                    backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), t);
                    break;
                default:
                    backend.CopyFromHost<int>(values.Select(v => (int)v).ToArray(), t);
                    break;
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Copies float64 host values into <paramref name="destination"/> in its own data type.</summary>
    public static void CopyFromHost(double[] values, Tensor destination)
    {
        if (destination.DataType == DataType.Float64)
        {
            destination.Backend.CopyFromHost<double>(values, destination);
        }
        else
        {
            destination.Backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), destination);
        }
    }

    public static Tensor UploadLabels(IBackend backend, int[] labels) => backend.FromLabels(labels);

    public static double[] Download(Tensor t)
    {
        switch (t.DataType)
        {
            case DataType.Float64:
                var d = new double[t.ElementCount];
                t.Backend.CopyToHost<double>(t, d);
                return d;
            case DataType.Float32:
                var f = new float[t.ElementCount];
                t.Backend.CopyToHost<float>(t, f);
                return f.Select(v => (double)v).ToArray();
            default:
                var i = new int[t.ElementCount];
                t.Backend.CopyToHost<int>(t, i);
                return i.Select(v => (double)v).ToArray();
        }
    }
}
