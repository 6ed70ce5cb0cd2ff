namespace Engine.Core;

/// <summary>
/// Test-time 10-crop evaluation: each sample's ten crops (<see cref="TenCrop"/>) go through the network,
/// their softmax probabilities are averaged, and the class of highest mean probability is the prediction.
/// </summary>
public static class TenCropEvaluation
{
    /// <summary>
    /// The accuracy on <paramref name="data"/> of <paramref name="network"/> (whose input is
    /// C×<paramref name="cropHeight"/>×<paramref name="cropWidth"/>, output N×K logits) under 10-crop
    /// averaging, running <paramref name="batchSize"/> samples (ten times as many crops) per forward pass.
    /// </summary>
    public static double Evaluate(Network network, ImageDataset data, int cropHeight, int cropWidth, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Shape shape = data.SampleShape;
        var cropShape = new Shape(shape[0], cropHeight, cropWidth);
        if (network.InputShape != cropShape)
        {
            throw new ShapeException($"10-crop evaluation: model '{network.Name}' takes {network.InputShape} but the crops are {cropShape}");
        }
        if (data.Count == 0)
        {
            return 0;
        }
        int classes = checked((int)network.OutputShape.ElementCount);
        if (classes != data.ClassCount)
        {
            throw new ShapeException($"10-crop evaluation: model '{network.Name}' outputs {classes} values but the data has {data.ClassCount} classes");
        }
        DataType type = network.Parameters.Count > 0 ? network.Parameters[0].Value.DataType : DataType.Float32;
        int sampleSize = checked((int)shape.ElementCount);
        int cropSize = checked((int)cropShape.ElementCount);
        var sample = new float[sampleSize];
        var crops = new float[batchSize * TenCrop.Count * cropSize];
        var logits = new double[batchSize * TenCrop.Count * classes];
        float[]? narrow = type == DataType.Float32 ? new float[logits.Length] : null; // staging for float32 outputs
        var mean = new double[classes];
        var tensors = new Dictionary<int, Tensor>();
        int correct = 0;
        try
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, data.Count - start);
                for (int i = 0; i < n; i++)
                {
                    data.CopySample(start + i, sample);
                    TenCrop.Extract(sample, shape, cropHeight, cropWidth, crops.AsSpan(i * TenCrop.Count * cropSize, TenCrop.Count * cropSize));
                }
                int rows = n * TenCrop.Count;
                if (!tensors.TryGetValue(rows, out Tensor? input))
                {
                    input = network.Backend.Allocate(cropShape.WithBatch(rows), type);
                    tensors[rows] = input;
                }
                Upload(network.Backend, crops.AsSpan(0, rows * cropSize), input);
                Tensor output = network.Forward(input, training: false);
                Download(output, logits.AsSpan(0, rows * classes), narrow);
                for (int i = 0; i < n; i++)
                {
                    Array.Clear(mean);
                    for (int k = 0; k < TenCrop.Count; k++)
                    {
                        Metrics.AddSoftmax<double>(logits.AsSpan((i * TenCrop.Count + k) * classes, classes), mean);
                    }
                    // Averaging is a division by 10 that cannot change the arg-max, so the sum is compared.
                    if (Metrics.ArgMax<double>(mean) == data.GetLabel(start + i))
                    {
                        correct++;
                    }
                }
            }
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }
        return (double)correct / data.Count;
    }

    private static void Upload(IBackend backend, ReadOnlySpan<float> values, Tensor input)
    {
        if (input.DataType == DataType.Float32)
        {
            backend.CopyFromHost(values, input);
            return;
        }
        var wide = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            wide[i] = values[i];
        }
        backend.CopyFromHost<double>(wide, input);
    }

    private static void Download(Tensor output, Span<double> destination, float[]? narrow)
    {
        if (narrow is null)
        {
            output.Backend.CopyToHost(output, destination);
            return;
        }
        output.Backend.CopyToHost<float>(output, narrow.AsSpan(0, destination.Length));
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = narrow[i];
        }
    }
}
