namespace Engine.Backend.OpenBlas.Tests;

/// <summary>Moving values between tests (as double) and tensors of either data type.</summary>
internal static class TestData
{
    public static readonly DataType[] Types = [DataType.Float32, DataType.Float64];

    public static readonly int[] OddLengths = [1, 7, 33, 1001];

    public static TheoryData<DataType> TypeData() => [.. Types];

    /// <summary>Values as a tensor of <paramref name="type"/> would hold them.</summary>
    public static double[] Round(double[] values, DataType type) =>
        type == DataType.Float32 ? [.. values.Select(v => (double)(float)v)] : [.. values];

    /// <summary>Uniform values on [lo, hi), already rounded to <paramref name="type"/>.</summary>
    public static double[] Random(Random rng, int count, double lo, double hi, DataType type)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = lo + ((hi - lo) * rng.NextDouble());
        }
        return Round(values, type);
    }

    public static Tensor Upload(IBackend backend, double[] values, Shape shape, DataType type)
    {
        Tensor tensor = backend.Allocate(shape, type);
        Set(backend, tensor, values);
        return tensor;
    }

    public static void Set(IBackend backend, Tensor tensor, double[] values)
    {
        if (tensor.DataType == DataType.Float32)
        {
            backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), tensor);
        }
        else
        {
            backend.CopyFromHost<double>(values, tensor);
        }
    }

    public static double[] Download(IBackend backend, Tensor tensor)
    {
        if (tensor.DataType == DataType.Float32)
        {
            var values = new float[tensor.ElementCount];
            backend.CopyToHost<float>(tensor, values);
            return [.. values.Select(v => (double)v)];
        }
        var doubles = new double[tensor.ElementCount];
        backend.CopyToHost<double>(tensor, doubles);
        return doubles;
    }

    /// <summary>|actual − expected| ≤ relative·|expected| + absolute, element by element.</summary>
    public static void AssertClose(double[] expected, double[] actual, double relative, double absolute, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            bool ok = error <= (relative * Math.Abs(expected[i])) + absolute
                || (double.IsNaN(expected[i]) && double.IsNaN(actual[i]))
                || expected[i] == actual[i];
            Assert.True(ok, $"{context}: element {i} is {actual[i]:R} but the reference is {expected[i]:R} (error {error:E3})");
        }
    }

    /// <summary>Every odd length with every data type, for theories.</summary>
    public static TheoryData<int, DataType> LengthsAndTypes()
    {
        var data = new TheoryData<int, DataType>();
        foreach (int length in OddLengths)
        {
            foreach (DataType type in Types)
            {
                data.Add(length, type);
            }
        }
        return data;
    }
}
