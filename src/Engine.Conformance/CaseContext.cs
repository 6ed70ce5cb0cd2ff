using System.Globalization;

namespace Engine.Conformance;

/// <summary>
/// What a case body works with: the backend under test, the data type, the tolerance, and helpers
/// that move float64 data to and from the backend (tensors made here are disposed after the case)
/// and compare.
/// </summary>
internal sealed class CaseContext(IBackend backend, DataType type, double tolerance, BackendTraits traits) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public IBackend Backend { get; } = backend;

    public DataType Type { get; } = type;

    /// <summary>The largest relative error allowed (the backend's tolerance for <see cref="Type"/> times the case's factor).</summary>
    public double Tolerance { get; } = tolerance;

    public BackendTraits Traits { get; } = traits;

    /// <summary>Disposes <paramref name="item"/> when the case ends.</summary>
    public T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    /// <summary>Rounds to the case's data type, so a reference sees exactly what the backend sees.</summary>
    public double Round(double v) => Type == DataType.Float32 ? (float)v : v;

    public double[] Round(double[] values) => values.Select(Round).ToArray();

    /// <summary>Seeded normal values rounded to the data type.</summary>
    public double[] Random(long count, ulong seed, double scale = 1) =>
        Enumerable.Range(0, (int)count).Select(i => Round(scale * CounterRandom.Normal(seed, (ulong)i))).ToArray();

    public Tensor Allocate(Shape shape) => Own(Backend.Allocate(shape, Type));

    public Tensor Upload(Shape shape, double[] values, DataType? type = null) => Own(HostData.Upload(Backend, shape, values, type ?? Type));

    public Tensor Labels(int[] labels) => Own(HostData.UploadLabels(Backend, labels));

    /// <summary>A tensor filled with NaN, so a kernel that accumulates into its output instead of overwriting it fails.</summary>
    public Tensor Garbage(Shape shape, DataType? type = null)
    {
        Tensor t = Own(Backend.Allocate(shape, type ?? Type));
        Backend.Fill(t, double.NaN);
        return t;
    }

    public static double[] Download(Tensor t) => HostData.Download(t);

    /// <summary>Compares within <see cref="Tolerance"/> (see <see cref="Compare.Close"/>).</summary>
    public void Close(double[] expected, Tensor actual, string what) => Compare.Close(expected, Download(actual), Tolerance, what);

    public void Close(double[] expected, double[] actual, string what) => Compare.Close(expected, actual, Tolerance, what);

    /// <summary>Requires bit-equal values (NaN equals NaN).</summary>
    public static void Exact(double[] expected, Tensor actual, string what) => Compare.Exact(expected, Download(actual), what);

    /// <summary>Requires <paramref name="call"/> to throw <typeparamref name="TException"/> whose message holds every fragment.</summary>
    public static void Refuses<TException>(Action call, string what, params string[] fragments) where TException : Exception
    {
        try
        {
            call();
        }
        catch (TException e)
        {
            string? missing = fragments.FirstOrDefault(f => !e.Message.Contains(f, StringComparison.Ordinal));
            if (missing is not null)
            {
                throw new ConformanceFailure($"{what}: refused, but the message '{e.Message}' does not name '{missing}'");
            }
            return;
        }
        catch (Exception e) when (e is not ConformanceFailure)
        {
            throw new ConformanceFailure($"{what}: expected {typeof(TException).Name}, got {e.GetType().Name}: {e.Message}");
        }
        throw new ConformanceFailure($"{what}: accepted; expected {typeof(TException).Name}");
    }

    public static string Join(IEnumerable<int> values, string separator = ",") =>
        string.Join(separator, values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _owned.Clear();
    }
}
