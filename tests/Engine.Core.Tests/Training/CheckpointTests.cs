using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core.Tests.Training;

public sealed class CheckpointTests
{
    private static Checkpoint Sample()
    {
        var state = new StateDictionary();
        state.Set("params/w", new StateEntry(new Shape(2, 3), new float[] { 1, 2, 3, 4, 5, 6.5f }));
        state.Set("optimizer/m", new StateEntry(new Shape(2), new double[] { -1.25, 1e-300 }));
        state.SetInt64("trainer/global_step", 1234567890123);
        return new Checkpoint(state, new JsonObject { ["model"] = "tiny", ["history"] = new JsonArray(1, 2) });
    }

    [Fact]
    public void RoundTripsEveryEntryAndTheMetadata()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        Sample().Write(file);
        Checkpoint read = Checkpoint.Read(file);
        Assert.Equal(["params/w", "optimizer/m", "trainer/global_step"], read.State.Names);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6.5f }, (float[])read.State["params/w"].Values);
        Assert.Equal(new Shape(2, 3), read.State["params/w"].Shape);
        Assert.Equal(new[] { -1.25, 1e-300 }, (double[])read.State["optimizer/m"].Values);
        Assert.Equal(1234567890123, read.State.GetInt64("trainer/global_step"));
        Assert.Equal("tiny", read.Metadata["model"]!.GetValue<string>());
        Assert.False(File.Exists(file + ".tmp"));
    }

    [Fact]
    public void LayoutIsTheDocumentedOneSoOtherLanguagesCanReadIt()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        Sample().Write(file);
        byte[] bytes = File.ReadAllBytes(file);
        Assert.Equal("ENGCKPT\0"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        int h = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        using var header = JsonDocument.Parse(bytes.AsMemory(16, h));
        int data = 16 + h;
        Assert.Equal(bytes.Length - data, header.RootElement.GetProperty("data_length").GetInt64());
        JsonElement[] entries = header.RootElement.GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal("params/w", entries[0].GetProperty("name").GetString());
        Assert.Equal("float32", entries[0].GetProperty("dtype").GetString());
        Assert.Equal([2, 3], entries[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(24, entries[0].GetProperty("length").GetInt32());
        int offset = entries[1].GetProperty("offset").GetInt32();
        Assert.Equal(24, offset);
        Assert.Equal(-1.25, BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(data + offset)));
        Assert.Equal("int64", entries[2].GetProperty("dtype").GetString());
        Assert.Equal(1234567890123, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(data + entries[2].GetProperty("offset").GetInt32())));
        Assert.Equal("tiny", header.RootElement.GetProperty("metadata").GetProperty("model").GetString());
    }

    [Fact]
    public void AFailureWhileWritingLeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        Sample().Write(file);
        byte[] before = File.ReadAllBytes(file);

        // NaN cannot be written as JSON: the writer fails after the temporary file has been started.
        var bad = new Checkpoint(Sample().State, new JsonObject { ["loss"] = JsonValue.Create(double.NaN) });
        var error = Assert.Throws<EngineException>(() => bad.Write(file));
        Assert.Contains(file, error.Message);
        Assert.Equal(before, File.ReadAllBytes(file));
        Assert.Equal(["a.ckpt"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void WrongMagicIsAnErrorNamingTheFile()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("bad.ckpt");
        File.WriteAllBytes(file, Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip file, not a checkpoint"));
        var error = Assert.Throws<DataFormatException>(() => Checkpoint.Read(file));
        Assert.Equal(file, error.Path);
        Assert.Contains("not an engine checkpoint", error.Message);
    }

    [Theory]
    [InlineData(10)] // inside the prefix
    [InlineData(40)] // inside the header
    [InlineData(-3)] // inside the data
    public void TruncatedFilesAreErrorsNamingTheFile(int keep)
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        Sample().Write(file);
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(keep >= 0 ? keep : bytes.Length + keep)]);
        var error = Assert.Throws<DataFormatException>(() => Checkpoint.Read(file));
        Assert.Equal(file, error.Path);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void AnEntryOfTheWrongShapeForTheNetworkIsAnErrorNamingFileAndEntry()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        string file = folder.File("five-classes.ckpt");
        using (Network five = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(classes: 5), seed: 1))
        {
            var state = new StateDictionary();
            ModelState.Save(five, state);
            new Checkpoint(state).Write(file);
        }
        using Network ten = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(classes: 10), seed: 1);
        var error = Assert.Throws<DataFormatException>(() => ModelState.Load(ten, Checkpoint.Read(file).State, file));
        Assert.Equal(file, error.Path);
        Assert.Contains("params/dense2.weight", error.Message);
        Assert.Contains("[5, 32]", error.Message);
    }

    [Fact]
    public void AHeaderWhoseLengthsDisagreeWithTheShapeIsRejected()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("a.ckpt");
        Sample().Write(file);
        byte[] bytes = File.ReadAllBytes(file);
        // Same byte count, different shape: [2,3] → [3,3] makes 36 bytes expected but 24 held.
        int at = bytes.AsSpan().IndexOf("\"shape\":[2,3]"u8);
        Assert.True(at > 0);
        bytes[at + "\"shape\":[".Length] = (byte)'3';
        File.WriteAllBytes(file, bytes);
        var error = Assert.Throws<DataFormatException>(() => Checkpoint.Read(file));
        Assert.Contains("entry 'params/w'", error.Message);
    }
}
