using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Cli;
using Engine.Core;
using Engine.Imaging;

namespace Engine.Fuzz;

/// <summary>Small valid files of every format, the starting points of the mutations (fuzz/corpus/TARGET/).</summary>
internal static class SeedCorpus
{
    public static void Write(string folder)
    {
        Text(folder, "model-json", "mlp.json", """{"name": "my-mlp", "layers": [{"type": "flatten"}, {"type": "dense", "units": 128}, {"type": "relu"}, {"type": "dense", "units": 10}]}""");
        Text(folder, "model-json", "residual.json", """
            {"name": "residual", "layers": [
              {"type": "conv2d", "name": "stem", "filters": 16, "kernel": 3, "padding": "same"},
              {"type": "conv2d", "name": "c1", "filters": 16, "kernel": [3, 3], "stride": 1, "padding": [1, 1]},
              {"type": "batch_norm"}, {"type": "relu"},
              {"type": "add", "name": "skip", "inputs": ["c1", "stem"]},
              {"type": "max_pool2d", "kernel": 2}, {"type": "global_avg_pool"}, {"type": "dropout", "rate": 0.5}, {"type": "dense", "units": 10}],
             "auxiliary_outputs": [{"layer": "skip", "weight": 0.3}]}
            """);
        Text(folder, "config", "readme.json", """{ "model": "lenet5", "epochs": 5, "batch-size": 64, "optimizer": {"name": "sgd", "lr": 0.05}, "seed": 3 }""");
        Text(folder, "config", "full.json", """
            {"model": "mlp", "dataset": "mnist", "epochs": 2, "lr": 0.1, "momentum": 0.9, "weight-decay": 0.0005,
             "schedule": "warmup:steps=50,then=cosine", "clip-norm": 5, "validation-split": 0.1, "early-stopping": 3,
             "augment": "flip,crop=4,normalize=0.5:0.25", "freeze": ["conv*"], "progress": false, "limit": 1000,
             "optimizer-args": "{\"nesterov\": true}", "checkpoint": "run.ckpt", "metrics": "m.csv"}
            """);

        var state = new StateDictionary();
        state.Set("params/dense1.weight", new StateEntry(new Shape(2, 3), new float[] { 1, 2, 3, 4, 5, 6 }));
        state.Set("optimizer/m", new StateEntry(new Shape(2), new double[] { 0.5, -0.25 }));
        state.SetInt64("trainer/epoch", 3);
        string checkpoint = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "checkpoint")).FullName, "small.ckpt");
        File.Delete(checkpoint);
        new Checkpoint(state, new JsonObject { ["model"] = "mlp", ["input_shape"] = new JsonArray(1, 28, 28) }).Write(checkpoint);

        byte[] images = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3, .. Enumerable.Range(0, 18).Select(i => (byte)(i * 14))];
        Bytes(folder, "idx", "images-idx3", images);
        Bytes(folder, "idx", "labels-idx1", [0, 0, 8, 1, 0, 0, 0, 4, 7, 2, 1, 3]);
        using (var gz = new MemoryStream())
        {
            using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(images);
            }
            Bytes(folder, "idx", "images-idx3.gz", gz.ToArray());
        }

        Bytes(folder, "cifar", "two-records.bin", [.. Record(3), .. Record(9)]);

        Bytes(folder, "image", "grey.png", ImageEncoder.Encode(new DecodedImage(4, 3, 1, Pixels(12))));
        Bytes(folder, "image", "rgb.png", ImageEncoder.Encode(new DecodedImage(3, 2, 3, Pixels(18))));
        Bytes(folder, "image", "rgba.png", ImageEncoder.Encode(new DecodedImage(2, 2, 4, Pixels(16))));
        Bytes(folder, "image", "grey.jpg", ImageEncoder.Encode(new DecodedImage(8, 8, 1, Pixels(64)), ImageFileFormat.Jpeg, 90));
        Bytes(folder, "image", "rgb.webp", ImageEncoder.Encode(new DecodedImage(3, 2, 3, Pixels(18)), ImageFileFormat.WebpLossless));

        Bytes(folder, "pgm", "p5.pgm", [.. Encoding.ASCII.GetBytes("P5\n# a comment\n4 2\n255\n"), .. Pixels(8)]);
        Bytes(folder, "pgm", "p6.ppm", [.. Encoding.ASCII.GetBytes("P6 2 2 255\n"), .. Pixels(12)]);
        Text(folder, "pgm", "p2.pgm", "P2\n3 2\n15\n0 3 6\n9 12 15\n");
        Text(folder, "pgm", "p3.ppm", "P3\n1 2\n255\n255 0 0\n0 0 255\n");
        Bytes(folder, "pgm", "p5-16bit.pgm", [.. Encoding.ASCII.GetBytes("P5\n2 1\n65535\n"), 0x12, 0x34, 0xFF, 0xFF]);

        Npy(folder, "matrix.npy", [2, 3]);
        Npy(folder, "vector.npy", [5]);
        Npy(folder, "scalar.npy", []);
        Npy(folder, "empty.npy", [0, 4]);
        Npy(folder, "images.npy", [2, 1, 3, 3]);
        // Version 2 (a 4-byte header length), what numpy writes for a header over 64 KiB; here a short one.
        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".PadRight(51) + "\n";
        Bytes(folder, "npy", "version2.npy", [0x93, .. "NUMPY"u8, 2, 0, (byte)header.Length, 0, 0, 0, .. Encoding.Latin1.GetBytes(header), 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]);

        // ONNX: the small fixtures of the plugin's tests (PyTorch exports, a few kB each; lenet5's is 250 kB,
        // too large to mutate quickly) beside the operator graphs made by fuzz/onnx-seeds.py.
        string fixtures = Path.Combine(folder, "..", "..", "tests", "Engine.Interop.Onnx.Tests", "Fixtures");
        foreach (string name in new[] { "activations.onnx", "inception.onnx", "resnet.onnx" })
        {
            Bytes(folder, "onnx", name, File.ReadAllBytes(Path.Combine(fixtures, name)));
        }
    }

    private static void Npy(string folder, string name, int[] shape)
    {
        string dir = Directory.CreateDirectory(Path.Combine(folder, "npy")).FullName;
        NpyFile.WriteFloat32(Path.Combine(dir, name), shape, Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(i => (i * 0.37f) - 1).ToArray());
    }

    private static byte[] Record(byte label) => [label, .. Enumerable.Range(0, 3072).Select(i => (byte)(i * 31 + label))];

    private static byte[] Pixels(int n) => [.. Enumerable.Range(0, n).Select(i => (byte)(i * 37))];

    private static void Text(string folder, string target, string name, string text) => Bytes(folder, target, name, Encoding.UTF8.GetBytes(text));

    private static void Bytes(string folder, string target, string name, byte[] bytes)
    {
        string dir = Directory.CreateDirectory(Path.Combine(folder, target)).FullName;
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }
}
