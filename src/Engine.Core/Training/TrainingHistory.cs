using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// The per-epoch metrics of a run, in order; resumed runs include the epochs before the
/// checkpoint. Written as CSV (one row per epoch; an absent metric is an empty field) or JSON (an
/// array of objects; an absent metric is null), with the same column names.
/// </summary>
public sealed class TrainingHistory : IReadOnlyList<EpochResult>
{
    /// <summary>Column names, in CSV order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top5", "test_accuracy",
        "learning_rate", "global_step", "train_seconds", "elapsed_seconds", "images_per_second",
    ];

    private readonly List<EpochResult> _epochs = [];

    /// <summary>Whether early stopping ended the run.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <inheritdoc/>
    public int Count => _epochs.Count;

    /// <inheritdoc/>
    public EpochResult this[int index] => _epochs[index];

    /// <summary>Appends an epoch.</summary>
    public void Add(EpochResult result) => _epochs.Add(result);

    /// <inheritdoc/>
    public IEnumerator<EpochResult> GetEnumerator() => _epochs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The values of one row, in <see cref="Columns"/> order.</summary>
    public static double[] Row(EpochResult r) =>
    [
        r.Epoch, r.TrainLoss, r.TrainAccuracy, r.ValidationLoss, r.ValidationAccuracy, r.ValidationTop5, r.TestAccuracy,
        r.LearningRate, r.GlobalStep, r.TrainTime.TotalSeconds, r.Elapsed.TotalSeconds, r.ImagesPerSecond,
    ];

    /// <summary>The history as CSV text with a header line.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder(string.Join(",", Columns)).Append('\n');
        foreach (EpochResult r in _epochs)
        {
            text.AppendJoin(',', Row(r).Select(v => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "")).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The history as a JSON array of objects.</summary>
    public JsonArray ToJson()
    {
        var array = new JsonArray();
        foreach (EpochResult r in _epochs)
        {
            var row = new JsonObject();
            double[] values = Row(r);
            for (int i = 0; i < Columns.Count; i++)
            {
                row[Columns[i]] = double.IsFinite(values[i]) ? JsonValue.Create(values[i]) : null;
            }
            array.Add(row);
        }
        return array;
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote (the metadata of a checkpoint).</summary>
    public static TrainingHistory FromJson(JsonArray array)
    {
        var history = new TrainingHistory();
        foreach (JsonNode? node in array)
        {
            double Get(string column) => node?[column] is JsonValue v ? v.GetValue<double>() : double.NaN;
            history.Add(new EpochResult((int)Get("epoch"), Get("train_loss"), Get("train_accuracy"), Get("test_accuracy"),
                Seconds(Get("train_seconds")), Seconds(Get("elapsed_seconds")), Get("images_per_second"))
            {
                ValidationLoss = Get("val_loss"),
                ValidationAccuracy = Get("val_accuracy"),
                ValidationTop5 = Get("val_top5"),
                LearningRate = Get("learning_rate"),
                GlobalStep = (long)Get("global_step"),
            });
        }
        return history;
    }

    private static TimeSpan Seconds(double s) => double.IsFinite(s) ? TimeSpan.FromSeconds(s) : TimeSpan.Zero;

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/>.</summary>
    public void WriteCsv(string path) => File.WriteAllText(path, ToCsv(), new UTF8Encoding(false));

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>, indented.</summary>
    public void WriteJson(string path) => File.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
}
