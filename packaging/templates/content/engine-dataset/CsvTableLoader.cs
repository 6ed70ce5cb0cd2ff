using System.Globalization;
using Engine;

namespace MyDataset;

/// <summary>
/// Reads <c>train.csv</c> and <c>test.csv</c> from the data folder: one example per line, its class
/// name first, then its values (<c>cat,0.1,0.5,0.9</c>); empty lines and lines starting with
/// <c>#</c> are skipped. Every example has the same number of values N; an example is a 1×1×N
/// "image", so a model that starts by flattening trains on it (sample-data/ holds an example and a model for it). The classes
/// are the training file's class names in sorted order.
/// </summary>
public sealed class CsvTableLoader : IDatasetLoader
{
    /// <inheritdoc/>
    public string Name => "csv-table";

    /// <inheritdoc/>
    public string Description => "csv-table: train.csv and test.csv, one example a line: class name, then its values";

    /// <inheritdoc/>
    public DatasetSplits Load(string directory)
    {
        List<Row> train = ReadRows(Path.Combine(directory, "train.csv"));
        List<Row> test = ReadRows(Path.Combine(directory, "test.csv"));
        string[] classNames = [.. train.Select(r => r.ClassName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        int width = train[0].Values.Length;
        return new DatasetSplits(
            ToDataset(Path.Combine(directory, "train.csv"), train, classNames, width),
            ToDataset(Path.Combine(directory, "test.csv"), test, classNames, width));
    }

    private sealed record Row(int Line, string ClassName, float[] Values);

    private static List<Row> ReadRows(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, "file not found (csv-table needs train.csv and test.csv)");
        }
        var rows = new List<Row>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            string[] fields = line.Split(',');
            if (fields.Length < 2)
            {
                throw new DataFormatException(path, $"line {lineNumber}: expected a class name and at least one value, got '{line}'");
            }
            var values = new float[fields.Length - 1];
            for (int i = 1; i < fields.Length; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i - 1]) || !float.IsFinite(values[i - 1]))
                {
                    throw new DataFormatException(path, $"line {lineNumber}, field {i + 1}: '{fields[i]}' is not a finite number");
                }
            }
            rows.Add(new Row(lineNumber, fields[0].Trim(), values));
        }
        if (rows.Count == 0)
        {
            throw new DataFormatException(path, "no examples");
        }
        return rows;
    }

    private static TableDataset ToDataset(string path, List<Row> rows, string[] classNames, int width)
    {
        var values = new float[rows.Count * width];
        var labels = new int[rows.Count];
        for (int n = 0; n < rows.Count; n++)
        {
            Row row = rows[n];
            if (row.Values.Length != width)
            {
                throw new DataFormatException(path, $"line {row.Line}: {row.Values.Length} values, but the examples of train.csv have {width}");
            }
            labels[n] = Array.BinarySearch(classNames, row.ClassName, StringComparer.Ordinal);
            if (labels[n] < 0)
            {
                throw new DataFormatException(path, $"line {row.Line}: class '{row.ClassName}' does not occur in train.csv");
            }
            row.Values.CopyTo(values, n * width);
        }
        return new TableDataset(values, labels, new Shape(1, 1, width), classNames);
    }
}

/// <summary>Examples held as floats, one row of <see cref="ImageDataset.SampleShape"/> each.</summary>
internal sealed class TableDataset(float[] values, int[] labels, Shape sampleShape, IReadOnlyList<string> classNames) : ImageDataset
{
    private readonly int _width = checked((int)sampleShape.ElementCount);

    public override int Count => labels.Length;

    public override Shape SampleShape => sampleShape;

    public override IReadOnlyList<string> ClassNames => classNames;

    public override void CopySample(int index, Span<float> destination) => values.AsSpan(index * _width, _width).CopyTo(destination);

    public override int GetLabel(int index) => labels[index];
}
