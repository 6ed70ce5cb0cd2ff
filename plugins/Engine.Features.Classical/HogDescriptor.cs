namespace Engine.Features.Classical;

/// <summary>
/// Histograms of oriented gradients (Dalal and Triggs, 2005) computed as scikit-image's
/// <c>skimage.feature.hog</c> does, so that the two agree to rounding for the same parameters:
/// gradients by centred differences [−1, 0, 1] (zero on the border rows and columns), unsigned
/// orientations in [0°, 180°), each pixel's magnitude voting into the one bin and the one cell it
/// falls in, a cell's histogram divided by its pixel count, then every block of cells (stride one
/// cell) normalised and concatenated in (block row, block column, cell row, cell column, bin) order.
/// The backward pass differentiates this exactly, bins and cells held fixed.
/// Where this (and scikit-image) differs from the paper: no trilinear interpolation of votes between
/// neighbouring bins and cells, no Gaussian window over a block, no gamma correction of the input.
/// </summary>
public static class HogDescriptor
{
    private const double Epsilon = 1e-5;

    /// <summary>
    /// Writes the descriptor of the grey <paramref name="height"/>×<paramref name="width"/> image
    /// <paramref name="image"/> (row-major) to <paramref name="features"/>
    /// (<see cref="HogOptions.FeatureCount"/> values).
    /// </summary>
    public static void Compute(ReadOnlySpan<float> image, int height, int width, HogOptions options, Span<float> features)
    {
        var grey = new double[image.Length];
        for (int i = 0; i < grey.Length; i++)
        {
            grey[i] = image[i];
        }
        var result = new double[features.Length];
        Compute(grey, height, width, options, result, float32Gradients: true);
        for (int i = 0; i < result.Length; i++)
        {
            features[i] = (float)result[i];
        }
    }

    /// <summary>
    /// The descriptor in double precision; with <paramref name="float32Gradients"/> the pixel
    /// differences are rounded to float32 first, as scikit-image takes them for a float32 image.
    /// </summary>
    public static void Compute(ReadOnlySpan<double> image, int height, int width, HogOptions options, Span<double> features, bool float32Gradients)
    {
        double[] histogram = Histogram(image, height, width, options, float32Gradients, null);
        int blockLength = options.Block * options.Block * options.Orientations;
        var values = new double[blockLength];
        int block = 0;
        foreach (int[] cells in BlockCells(options, height, width))
        {
            Gather(histogram, cells, options.Orientations, values);
            Normalize(values, options.Norm);
            values.CopyTo(features.Slice(block++ * blockLength, blockLength));
        }
    }

    /// <summary>
    /// d(loss)/d(image) from d(loss)/d(features): the exact derivative of this piecewise-smooth
    /// function where each pixel's bin and cell stay fixed (votes are hard, so a small change moves a
    /// magnitude, not a vote), through the block normalisation (a clipped L2-Hys value passes nothing).
    /// </summary>
    public static void Backward(ReadOnlySpan<double> image, int height, int width, HogOptions options, ReadOnlySpan<double> featureGradient, Span<double> imageGradient)
    {
        int bins = options.Orientations;
        var votes = new (int Slot, double Gx, double Gy, double Magnitude)[height * width];
        double[] histogram = Histogram(image, height, width, options, false, votes);
        var histogramGradient = new double[histogram.Length];
        int blockLength = options.Block * options.Block * bins;
        var values = new double[blockLength];
        var gradient = new double[blockLength];
        int block = 0;
        foreach (int[] cells in BlockCells(options, height, width))
        {
            Gather(histogram, cells, bins, values);
            NormalizeBackward(values, featureGradient.Slice(block++ * blockLength, blockLength), options.Norm, gradient);
            int k = 0;
            foreach (int cell in cells)
            {
                for (int b = 0; b < bins; b++)
                {
                    histogramGradient[(cell * bins) + b] += gradient[k++];
                }
            }
        }
        imageGradient.Clear();
        double area = options.Cell * options.Cell;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var (slot, gx, gy, magnitude) = votes[(y * width) + x];
                if (magnitude == 0 || slot < 0)
                {
                    continue;
                }
                double dm = histogramGradient[slot] / area;
                double dgx = dm * gx / magnitude, dgy = dm * gy / magnitude;
                if (x > 0 && x < width - 1)
                {
                    imageGradient[(y * width) + x + 1] += dgx;
                    imageGradient[(y * width) + x - 1] -= dgx;
                }
                if (y > 0 && y < height - 1)
                {
                    imageGradient[((y + 1) * width) + x] += dgy;
                    imageGradient[((y - 1) * width) + x] -= dgy;
                }
            }
        }
    }

    // Cell histograms, cells × bins, each pixel's magnitude over the cell's area in its bin; votes (when
    // given) records each pixel's histogram slot (-1: none), gradient and magnitude for the backward pass.
    private static double[] Histogram(ReadOnlySpan<double> image, int height, int width, HogOptions options, bool float32Gradients,
        (int Slot, double Gx, double Gy, double Magnitude)[]? votes)
    {
        int cellsY = options.Cells(height), cellsX = options.Cells(width);
        int bins = options.Orientations, cell = options.Cell;
        var histogram = new double[cellsY * cellsX * bins];
        double binWidth = 180.0 / bins;
        double area = cell * cell;
        for (int y = 0; y < cellsY * cell; y++)
        {
            for (int x = 0; x < cellsX * cell; x++)
            {
                double gy = y == 0 || y == height - 1 ? 0 : image[((y + 1) * width) + x] - image[((y - 1) * width) + x];
                double gx = x == 0 || x == width - 1 ? 0 : image[(y * width) + x + 1] - image[(y * width) + x - 1];
                if (float32Gradients)
                {
                    // scikit-image takes the differences in the image's own precision.
                    (gx, gy) = ((float)gx, (float)gy);
                }
                double magnitude = Math.Sqrt((gx * gx) + (gy * gy));
                int slot = -1;
                if (magnitude != 0)
                {
                    int bin = Bin(FloorMod(Math.Atan2(gy, gx) * (180.0 / Math.PI), 180.0), binWidth, bins);
                    if (bin >= 0)
                    {
                        slot = ((((y / cell) * cellsX) + (x / cell)) * bins) + bin;
                        histogram[slot] += magnitude / area;
                    }
                }
                if (votes is not null)
                {
                    votes[(y * width) + x] = (slot, gx, gy, magnitude);
                }
            }
        }
        return histogram;
    }

    // Each block's cells (indices into the cell grid), blocks in row-major order, cells in row-major order within.
    private static IEnumerable<int[]> BlockCells(HogOptions options, int height, int width)
    {
        int cellsY = options.Cells(height), cellsX = options.Cells(width), size = options.Block;
        for (int by = 0; by <= cellsY - size; by++)
        {
            for (int bx = 0; bx <= cellsX - size; bx++)
            {
                var cells = new int[size * size];
                for (int cy = 0; cy < size; cy++)
                {
                    for (int cx = 0; cx < size; cx++)
                    {
                        cells[(cy * size) + cx] = ((by + cy) * cellsX) + bx + cx;
                    }
                }
                yield return cells;
            }
        }
    }

    private static void Gather(double[] histogram, int[] cells, int bins, double[] values)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            Array.Copy(histogram, cells[c] * bins, values, c * bins, bins);
        }
    }

    /// <summary>d(loss)/d(v) of one block's normalisation, given v and d(loss)/d(normalised v).</summary>
    public static void NormalizeBackward(ReadOnlySpan<double> v, ReadOnlySpan<double> outputGradient, BlockNorm norm, Span<double> gradient)
    {
        switch (norm)
        {
            case BlockNorm.L1:
            case BlockNorm.L1Sqrt:
                {
                    double sum = Epsilon;
                    foreach (double x in v)
                    {
                        sum += Math.Abs(x);
                    }
                    Span<double> dq = stackalloc double[v.Length];
                    for (int i = 0; i < v.Length; i++)
                    {
                        double q = v[i] / sum;
                        // √q has derivative 1/(2√q); at q = 0 (an empty bin) the one-sided limit is infinite, and nothing flows.
                        dq[i] = norm == BlockNorm.L1 ? outputGradient[i] : q > 0 ? outputGradient[i] / (2 * Math.Sqrt(q)) : 0;
                    }
                    double dot = 0;
                    for (int i = 0; i < v.Length; i++)
                    {
                        dot += dq[i] * v[i];
                    }
                    for (int i = 0; i < v.Length; i++)
                    {
                        gradient[i] = (dq[i] / sum) - (Math.Sign(v[i]) * dot / (sum * sum));
                    }
                    break;
                }
            case BlockNorm.L2:
                ScaleBackward(v, outputGradient, gradient);
                break;
            default:
                {
                    double[] u = v.ToArray();
                    Scale(u);
                    double[] clipped = u.Select(x => Math.Min(x, 0.2)).ToArray();
                    var dClipped = new double[v.Length];
                    ScaleBackward(clipped, outputGradient, dClipped);
                    for (int i = 0; i < v.Length; i++)
                    {
                        dClipped[i] = u[i] < 0.2 ? dClipped[i] : 0;
                    }
                    ScaleBackward(v, dClipped, gradient);
                    break;
                }
        }
    }

    // Backward of v / √(‖v‖² + ε²): dv = d/n − v (d·v)/n³.
    private static void ScaleBackward(ReadOnlySpan<double> v, ReadOnlySpan<double> d, Span<double> gradient)
    {
        double sum = Epsilon * Epsilon, dot = 0;
        for (int i = 0; i < v.Length; i++)
        {
            sum += v[i] * v[i];
            dot += d[i] * v[i];
        }
        double n = Math.Sqrt(sum);
        for (int i = 0; i < v.Length; i++)
        {
            gradient[i] = (d[i] / n) - (v[i] * dot / (n * n * n));
        }
    }

    /// <summary>Normalises one block's concatenated histograms in place.</summary>
    public static void Normalize(Span<double> v, BlockNorm norm)
    {
        switch (norm)
        {
            case BlockNorm.L1:
            case BlockNorm.L1Sqrt:
                double l1 = 0;
                foreach (double x in v)
                {
                    l1 += Math.Abs(x);
                }
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] = norm == BlockNorm.L1 ? v[i] / (l1 + Epsilon) : Math.Sqrt(v[i] / (l1 + Epsilon));
                }
                break;
            case BlockNorm.L2:
                Scale(v);
                break;
            default:
                Scale(v);
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] = Math.Min(v[i], 0.2);
                }
                Scale(v);
                break;
        }
    }

    // v / √(‖v‖² + ε²)
    private static void Scale(Span<double> v)
    {
        double sum = 0;
        foreach (double x in v)
        {
            sum += x * x;
        }
        double inv = 1.0 / Math.Sqrt(sum + (Epsilon * Epsilon));
        for (int i = 0; i < v.Length; i++)
        {
            v[i] *= inv;
        }
    }

    // scikit-image's bin test: bin i holds [i·w, (i+1)·w), boundaries computed the same way; an angle that
    // rounds up to 180 belongs to no bin there either.
    private static int Bin(double angle, double binWidth, int bins)
    {
        int bin = Math.Min(bins - 1, (int)(angle / binWidth));
        for (int b = Math.Max(0, bin - 1); b <= Math.Min(bins - 1, bin + 1); b++)
        {
            if (angle >= binWidth * b && angle < binWidth * (b + 1))
            {
                return b;
            }
        }
        return -1;
    }

    // Python's (and numpy's) % on floats: the result has the divisor's sign.
    private static double FloorMod(double a, double b)
    {
        double r = a % b;
        return r < 0 ? r + b : r;
    }
}
