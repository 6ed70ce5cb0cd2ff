namespace Engine.Features.Classical;

/// <summary>
/// Histograms of oriented gradients (Dalal and Triggs, 2005) computed as scikit-image's
/// <c>skimage.feature.hog</c> does, so that the two agree to rounding for the same parameters:
/// gradients by centred differences [−1, 0, 1] (zero on the border rows and columns), unsigned
/// orientations in [0°, 180°), each pixel's magnitude voting into the one bin and the one cell it
/// falls in, a cell's histogram divided by its pixel count, then every block of cells (stride one
/// cell) normalised and concatenated in (block row, block column, cell row, cell column, bin) order.
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
        int cellsY = options.Cells(height), cellsX = options.Cells(width);
        int bins = options.Orientations, cell = options.Cell, block = options.Block;
        var histogram = new double[cellsY * cellsX * bins];
        double binWidth = 180.0 / bins;
        double area = cell * cell;
        for (int y = 0; y < cellsY * cell; y++)
        {
            for (int x = 0; x < cellsX * cell; x++)
            {
                // Differences in float, as scikit-image takes them in the image's own precision.
                float gy = y == 0 || y == height - 1 ? 0f : image[((y + 1) * width) + x] - image[((y - 1) * width) + x];
                float gx = x == 0 || x == width - 1 ? 0f : image[(y * width) + x + 1] - image[(y * width) + x - 1];
                double magnitude = Math.Sqrt(((double)gx * gx) + ((double)gy * gy));
                if (magnitude == 0)
                {
                    continue;
                }
                double angle = FloorMod(Math.Atan2(gy, gx) * (180.0 / Math.PI), 180.0);
                int bin = Bin(angle, binWidth, bins);
                if (bin >= 0)
                {
                    histogram[((((y / cell) * cellsX) + (x / cell)) * bins) + bin] += magnitude / area;
                }
            }
        }
        int blocksY = cellsY - block + 1, blocksX = cellsX - block + 1;
        int blockLength = block * block * bins;
        var values = new double[blockLength];
        for (int by = 0; by < blocksY; by++)
        {
            for (int bx = 0; bx < blocksX; bx++)
            {
                int k = 0;
                for (int cy = 0; cy < block; cy++)
                {
                    for (int cx = 0; cx < block; cx++)
                    {
                        int at = ((((by + cy) * cellsX) + bx + cx) * bins);
                        for (int b = 0; b < bins; b++)
                        {
                            values[k++] = histogram[at + b];
                        }
                    }
                }
                Normalize(values, options.Norm);
                Span<float> destination = features.Slice(((by * blocksX) + bx) * blockLength, blockLength);
                for (int i = 0; i < blockLength; i++)
                {
                    destination[i] = (float)values[i];
                }
            }
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
