using System.Text;
using Engine.Core;
using Engine.Host;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary><c>engine infer</c> on NumPy arrays, from a checkpoint and from its ONNX export, and the .npy kinds it refuses.</summary>
public sealed class InferCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-infer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CheckpointAndItsOnnxExportGiveTheNetworksOutputs()
    {
        const int n = 5;
        float[] x = Enumerable.Range(0, n * 784).Select(i => (float)CounterRandom.Uniform(3, (ulong)i)).ToArray();
        string input = Path.Combine(_folder, "x.npy"), onnx = Path.Combine(_folder, "m.onnx");
        NpyFile.WriteFloat32(input, [n, 1, 28, 28], x);
        Assert.Equal(0, CliRunner.Run("export", "--checkpoint", TrainedCheckpoint.Path, "--output", onnx).ExitCode);

        var (code, output, error) = CliRunner.Run("infer", "--checkpoint", TrainedCheckpoint.Path, "--input", input, "--output", Path.Combine(_folder, "a.npy"), "--batch-size", "2");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Contains("inferred  5 sample(s) of 1×28×28 through mlp → 10 each", output);
        Assert.Equal(0, CliRunner.Run("infer", "--model", onnx, "--input", input, "--output", Path.Combine(_folder, "b.npy")).ExitCode);

        (int[] shapeA, float[] a) = NpyFile.ReadFloat32(Path.Combine(_folder, "a.npy"));
        (int[] shapeB, float[] b) = NpyFile.ReadFloat32(Path.Combine(_folder, "b.npy"));
        Assert.Equal([n, 10], shapeA);
        Assert.Equal([n, 10], shapeB);
        AssertSameUpToRounding(a, b);

        // The raw outputs of the network on the inputs as given (no normalisation).
        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = TrainedCheckpoint.Load(host, backend);
        using Tensor t = backend.Allocate(new Shape(n, 1, 28, 28));
        backend.CopyFromHost<float>(x, t);
        var expected = new float[n * 10];
        backend.CopyToHost<float>(network.Forward(t, training: false), expected);
        AssertSameUpToRounding(expected, a);
    }

    // The checkpoint runs in batches of 2 (the last of 1), the ONNX file and the network in one batch
    // of 5: a dense product of another row count may take another GEMM kernel, whose sums round
    // differently in the last bits on some CPUs (AMD EPYC under OpenBLAS 0.3.21: 3e-8 apart). A wrong
    // weight, order or normalisation would be off by far more than a few float32 steps.
    private static void AssertSameUpToRounding(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expected[i])),
                $"output {i}: {actual[i]} against {expected[i]}");
        }
    }

    [Fact]
    public void ADeviceAsTheInputIsRefusedNotReadUntilMemoryRunsOut()
    {
        if (!File.Exists("/dev/zero"))
        {
            return; // no character devices to read (Windows)
        }
        var (code, _, error) = CliRunner.Run("infer", "--checkpoint", TrainedCheckpoint.Path, "--input", "/dev/zero", "--output", Path.Combine(_folder, "y.npy"));
        Assert.Equal(1, code);
        Assert.Equal("error: /dev/zero: is not a regular file (a device or a pipe?): refused", error.TrimEnd());
    }

    [Theory]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", "holds dtype '>f4', not float32 ('<f4'); convert it with array.astype(numpy.float32)")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 28, 28), }", "holds dtype '<f8', not float32 ('<f4')")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 28, 28), }", "is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), }", "shape (2, 1, 28, 28) needs 6,272 bytes of data but the file has 3,136")]
    public void OtherArraysAreOneErrorLine(string header, string message)
    {
        string input = Path.Combine(_folder, "x.npy");
        using (FileStream f = File.Create(input))
        {
            string padded = header.PadRight(118) + "\n";
            f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)padded.Length, 0]);
            f.Write(Encoding.Latin1.GetBytes(padded));
            f.Write(new byte[784 * 4]);
        }
        var (code, output, error) = CliRunner.Run("infer", "--checkpoint", TrainedCheckpoint.Path, "--input", input, "--output", Path.Combine(_folder, "y.npy"));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {input}: {message}", error.TrimEnd()[..$"error: {input}: {message}".Length]);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_folder, "y.npy")));
    }
}
