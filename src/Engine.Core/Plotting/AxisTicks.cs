using System.Globalization;

namespace Engine.Core.Plotting;

/// <summary>"Nice" axis ranges and tick positions: steps of 1, 2 or 5 × 10ⁿ.</summary>
internal static class AxisTicks
{
    /// <summary>A range covering [min, max] with about <paramref name="count"/> ticks, and the ticks.</summary>
    public static (double Low, double High, double Step, double[] Ticks) For(double min, double max, int count, bool integers = false)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
        {
            (min, max) = (0, 1);
        }
        if (max - min < 1e-12)
        {
            double pad = Math.Abs(min) > 1e-12 ? Math.Abs(min) * 0.1 : 0.5;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceStep((max - min) / Math.Max(1, count));
        if (integers)
        {
            step = Math.Max(1, Math.Round(step));
        }
        double low = Math.Floor(min / step + 1e-9) * step;
        double high = Math.Ceiling(max / step - 1e-9) * step;
        int n = (int)Math.Round((high - low) / step) + 1;
        var ticks = new double[n];
        for (int i = 0; i < n; i++)
        {
            ticks[i] = low + i * step;
        }
        return (low, high, step, ticks);
    }

    /// <summary>The value as a tick label, with as many decimals as the step needs.</summary>
    public static string Label(double value, double step)
    {
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 6);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static double NiceStep(double rough)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / magnitude;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
    }
}
