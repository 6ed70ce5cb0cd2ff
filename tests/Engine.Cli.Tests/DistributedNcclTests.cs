using System.Buffers.Binary;
using System.Diagnostics;
using Engine.Core;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine train --distributed nccl</c>. On a CPU backend it is refused with one line. On the
/// cudnn backend over the shim's host emulator (ENGINE_CUDNN_SHIM; its NCCL sums in a shared-memory
/// file): one rank without a launcher trains bit for bit what one process trains; two ranks under
/// mpirun train bit for bit what <c>--distributed mpi</c> trains on the same ranks (the same buckets
/// and weights, and a sum of two float32 addends is the same in either order); a missing libnccl is
/// one error line. A small MNIST-shaped data set keeps the emulated runs short.
/// </summary>
public sealed partial class DistributedNcclTests : IDisposable
{
    private static readonly string EmulatorPath =
        Path.Combine(RepoPaths.Root, "build", "native", "cudnn_shim", "emulator", "libengine_cudnn_shim_emu.so");

    private readonly string _folder = Directory.CreateTempSubdirectory("engine-nccl-").FullName;

    public DistributedNcclTests()
    {
        WriteImages("train", 96, seed: 1);
        WriteImages("t10k", 32, seed: 2);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void OnACpuBackendTheRunIsRefused()
    {
        var (code, output, error) = CliRunner.Run([.. Train("cpu.ckpt"), "--device", "cpu", "--distributed", "nccl"]);
        Assert.Equal(1, code);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Equal("error: --distributed nccl sums gradients on GPUs with NCCL, and backend 'openblas' has no device collectives: train on the cudnn backend (--device gpu), or use --distributed mpi on this one", error.Trim());
    }

    [Fact]
    public void OneRankWithoutALauncherTrainsWhatOneProcessTrains()
    {
        var (code, output, error) = RunEngine([.. Train("nccl.ckpt"), "--device", "gpu", "--distributed", "nccl"]);
        Assert.True(code == 0, error);
        Assert.Contains("ranks     1 (host emulation of NCCL (ranks meet in a shared-memory file) over no MPI launcher: one rank), 32 examples per rank per step", output, StringComparison.Ordinal);
        (code, _, error) = RunEngine([.. Train("plain.ckpt"), "--device", "gpu"]);
        Assert.True(code == 0, error);
        AssertSameParameters("plain.ckpt", "nccl.ckpt");
    }

    [Fact]
    public void AMissingNcclLibraryIsOneErrorLine()
    {
        var (code, output, error) = RunEngine([.. Train("missing.ckpt"), "--device", "gpu", "--distributed", "nccl"], ("ENGINE_CUDNN_EMU_NCCL", "missing"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Equal("error: --distributed nccl needs NCCL: NCCL 2 not found (looked for libnccl.so.2, libnccl.so): emulated (ENGINE_CUDNN_EMU_NCCL=missing) (PyTorch's CUDA wheels carry it in nvidia/nccl/lib: add that folder to ENGINE_CUDA_PATH)", error.Trim());
    }

    [Fact]
    public void TheDeviceVariableChoosesTheGpu()
    {
        // The emulator has device 0 only; under mpirun each rank's local rank picks it modulo that count.
        var (code, _, error) = RunEngine([.. Train("device.ckpt"), "--device", "gpu", "--distributed", "nccl"], ("ENGINE_CUDA_DEVICE", "1"));
        Assert.Equal(1, code);
        Assert.Contains("device 1 does not exist (1 present)", error, StringComparison.Ordinal);
        (code, _, error) = RunEngine([.. Train("device.ckpt"), "--device", "gpu"], ("ENGINE_CUDA_DEVICE", "first"));
        Assert.Equal(1, code);
        Assert.Contains("ENGINE_CUDA_DEVICE=first: give a device index (0, 1, …)", error, StringComparison.Ordinal);
    }

    [MpiRun.Fact]
    public void TwoRanksTrainWhatMpiTrainsOnTheSameRanks()
    {
        DateTime start = DateTime.UtcNow;
        foreach (string transport in new[] { "nccl", "mpi" })
        {
            var (code, output, error) = MpiRun.RunWith(MpiRun.Launcher, 2, [.. Train($"{transport}.ckpt"), "--device", "gpu", "--distributed", transport],
                ("ENGINE_CUDNN_SHIM", EmulatorPath));
            Assert.True(code == 0, error);
            Assert.Contains(transport == "nccl" ? "ranks     2 (host emulation of NCCL (ranks meet in a shared-memory file) over Open MPI, libmpi.so.40), 16 examples per rank per step"
                : "ranks     2 (Open MPI, libmpi.so.40), 16 examples per rank per step", output, StringComparison.Ordinal);
        }
        AssertSameParameters("mpi.ckpt", "nccl.ckpt");
        // Rank 0 removed the group's file once both ranks had joined.
        Assert.DoesNotContain(Directory.GetFiles("/dev/shm", "engine-nccl-emu-*"), f => File.GetCreationTimeUtc(f) >= start);
    }

    // Heuristic algorithms: the default measured choice times each algorithm, so two processes on a loaded machine
    // can pick different ones and train different bits; these tests compare the gradient sum, not that choice.
    private string[] Train(string checkpoint) =>
    [
        "--cudnn-algorithms", "heuristic", "train", "--model", "lenet5", "--dataset", "mnist", "--data", _folder, "--epochs", "2", "--batch-size", "32",
        "--lr", "0.05", "--momentum", "0.9", "--seed", "4", "--no-progress", "--checkpoint", Path.Combine(_folder, checkpoint),
    ];

    private void AssertSameParameters(string expected, string actual)
    {
        Checkpoint a = Checkpoint.Read(Path.Combine(_folder, expected));
        Checkpoint b = Checkpoint.Read(Path.Combine(_folder, actual));
        string[] parameters = [.. a.State.Names.Where(n => n.StartsWith(ModelState.ParameterPrefix, StringComparison.Ordinal))];
        Assert.NotEmpty(parameters);
        foreach (string entry in parameters)
        {
            Assert.True(DistributedTrainingTests.SameBits(a.State[entry].Values, b.State[entry].Values), $"{entry} differs between {expected} and {actual}");
        }
        Assert.Contains(parameters, p => ((float[])a.State[p].Values).Any(v => v != 0 && float.IsFinite(v)));
    }

    // The engine in its own process on the emulator: the shim is chosen once per process.
    private static (int ExitCode, string Output, string Error) RunEngine(string[] args, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(MpiRun.Engine) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ENGINE_CUDNN_SHIM"] = EmulatorPath;
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(300_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"engine {string.Join(' ', args)} did not end within 300 s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    // MNIST's IDX files (uncompressed), 28×28 random pixels, labels 0-9 in turn.
    private void WriteImages(string prefix, int count, int seed)
    {
        var random = new Random(seed);
        var images = new byte[16 + (count * 28 * 28)];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 28);
        random.NextBytes(images.AsSpan(16));
        var labels = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(labels, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
        for (int i = 0; i < count; i++)
        {
            labels[8 + i] = (byte)(i % 10);
        }
        File.WriteAllBytes(Path.Combine(_folder, $"{prefix}-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(_folder, $"{prefix}-labels-idx1-ubyte"), labels);
    }
}
