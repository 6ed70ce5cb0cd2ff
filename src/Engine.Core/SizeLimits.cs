using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Sizes checked before memory is asked for, so that an absurd argument (<c>padding: 100000</c>,
/// <c>units: 1000000000</c>, a batch of ten million, a 100000×100000 input) is one error naming the
/// layer or setting and how much it asks, not an overflow or an out-of-memory abort part-way.
/// </summary>
public static class SizeLimits
{
    /// <summary>The most elements one tensor may hold (the backends index with 32-bit integers).</summary>
    public const long MaxTensorElements = int.MaxValue;

    /// <summary>Bytes this process may use: the machine's memory or its container's limit.</summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Throws a <see cref="ConfigurationException"/> starting with <paramref name="owner"/> when a
    /// per-sample shape holds more than <see cref="MaxTensorElements"/> values.
    /// </summary>
    public static void CheckSample(string owner, string what, Shape shape)
    {
        double count = Values(shape);
        if (count > MaxTensorElements)
        {
            throw new ConfigurationException(Text($"{owner}: {what} {shape} is {Count(count)} values per sample ({Bytes(count * 4)} in float32); one tensor holds at most {MaxTensorElements:N0}"));
        }
    }

    /// <summary>
    /// Checks that a batch of <paramref name="batchSize"/> fits through <paramref name="network"/>:
    /// no activation tensor over <see cref="MaxTensorElements"/>, and, on a CPU backend, the activations
    /// (with their gradients when <paramref name="training"/>) and parameters within <see cref="AvailableBytes"/>.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="what">How the error names the batch size, e.g. <c>batch size</c>.</param>
    /// <param name="training">Whether gradients of the activations are kept too.</param>
    public static void CheckBatch(Network network, int batchSize, string what, bool training)
    {
        ArgumentNullException.ThrowIfNull(network);
        int elementSize = network.DataType == DataType.Float64 ? 8 : 4;
        (string Name, Shape Shape)[] tensors = [("the input", network.InputShape), .. network.Layers.Select((l, i) => ($"layer '{l.Name}' ({l.Kind})", network.OutputShapes[i]))];
        double activations = 0;
        foreach (var (name, shape) in tensors)
        {
            double values = batchSize * Values(shape);
            if (values > MaxTensorElements)
            {
                throw new ConfigurationException(Text($"{what} {batchSize}: {name} would hold {batchSize:N0} × {shape} = {Count(values)} values in one tensor; at most {MaxTensorElements:N0} (a smaller {what} fits)"));
            }
            activations += values * elementSize;
        }
        // Training keeps every output and its gradient; inference shares memory between layers but
        // the staging of the input is double-buffered: both bounded by twice the sum.
        double needed = (training ? 2 : 1) * activations + network.Parameters.Sum(p => Values(p.Value.Shape)) * elementSize * (training ? 4 : 1);
        long available = AvailableBytes;
        // Host memory bounds a CPU backend's tensors; a GPU's live in device memory, which this does not know.
        if (network.Backend.Device == DeviceKind.Cpu && needed > available)
        {
            throw new ConfigurationException(Text($"{what} {batchSize}: model '{network.Name}' needs about {Bytes(needed)} for its activations{(training ? ", gradients and optimiser state" : "")}; this machine has {Bytes(available)} (a smaller {what} needs less)"));
        }
    }

    // In double: a product of int dimensions can overflow even a long.
    private static double Values(Shape shape)
    {
        double n = 1;
        foreach (int d in shape.AsSpan())
        {
            n *= d;
        }
        return n;
    }

    // Exact digits while a double holds them; beyond, 9.9E+27 rather than digits that look exact but are not.
    private static string Count(double n) => n < 1e15 ? Text($"{n:N0}") : Text($"{n:G3}");

    /// <summary>A byte count in words: <c>6.3 GB</c>.</summary>
    public static string Bytes(double bytes) => bytes switch
    {
        >= 1e15 => Text($"{bytes:G3} bytes"),
        >= 1e12 => Text($"{bytes / 1e12:0.#} TB"),
        >= 1e9 => Text($"{bytes / 1e9:0.#} GB"),
        >= 1e6 => Text($"{bytes / 1e6:0.#} MB"),
        >= 1e3 => Text($"{bytes / 1e3:0.#} kB"),
        _ => Text($"{bytes:0} bytes"),
    };

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
