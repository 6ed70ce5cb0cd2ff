using System.Globalization;

namespace Engine.Conformance;

/// <summary>
/// The kit's one comparison rule. The error of element i is |actual − expected| / max(|expected|, rms),
/// where rms is the root mean square of the expected tensor: relative for elements of typical size
/// and larger, and measured against the tensor's scale for elements near zero (where a float32
/// rounding of the inputs alone exceeds any relative bound). NaN matches only NaN, ±∞ only itself.
/// </summary>
internal static class Compare
{
    public static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Length(expected, actual, what);
        double rms = expected.Length == 0 ? 0 : Math.Sqrt(expected.Where(double.IsFinite).Select(v => v * v).DefaultIfEmpty(0).Average());
        double floor = rms > 0 ? rms : 1;
        double worst = -1;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double error = double.IsNaN(e) || double.IsInfinity(e)
                ? (e.Equals(a) ? 0 : double.PositiveInfinity)
                : double.IsNaN(a) ? double.PositiveInfinity : Math.Abs(a - e) / Math.Max(Math.Abs(e), floor);
            if (error > worst)
            {
                (worst, at) = (error, i);
            }
        }
        if (worst > tolerance)
        {
            throw new ConformanceFailure(string.Create(CultureInfo.InvariantCulture,
                $"{what}: max relative error {worst:G2} at index {at} > {tolerance:G2} (expected {expected[at]:G9}, got {actual[at]:G9})"));
        }
    }

    public static void Exact(double[] expected, double[] actual, string what)
    {
        Length(expected, actual, what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!expected[i].Equals(actual[i]))
            {
                throw new ConformanceFailure(string.Create(CultureInfo.InvariantCulture,
                    $"{what}: index {i} is {actual[i]:G17}, expected exactly {expected[i]:G17}"));
            }
        }
    }

    private static void Length(double[] expected, double[] actual, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new ConformanceFailure($"{what}: {actual.Length} elements, expected {expected.Length}");
        }
    }
}
