using System.Diagnostics;
using System.Globalization;
using Engine;
using Engine.Core;
using Engine.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;

// The engine's inference (as `engine infer` runs it: host, staged plugins, the ONNX format's reader,
// one forward pass over the batch with the copies in and out) against ONNX Runtime on the same
// .onnx file and the same float32 input, timed alternately in one process so that both see the
// same load on the shared machine. Only the forward pass is timed: loading is done once before.
//
//   Engine.Bench.OnnxRuntime --model M.onnx --input X.npy --plugins DIR [--repeat 7] [--warmup 2]
//                            [--passes 1]           (forward passes per side per round: a LeNet-5
//                                                    pass takes a few ms, under the 10 ms CPU tick)
//                            [--cli-output Y.npy]   (also compare `engine infer`'s output file)
//                            [--unfused 1]          (also the engine with inference fusion off)
//                            [--ort-threads 2,0]    (ORT sessions by intra-op threads; 0: ORT's default; none: no ORT side)
//                            [--profile N]          (then N passes of each side's per-layer profile, LayerProfile.cs)
//                            [--split-profile N]    (then N passes clocked per layer on the threads that ran them, the
//                                                    inference split left on, SplitProfile.cs)
//                            [--split-profile-pieces auto,8]  (the split profile for each of these ENGINE_SPLIT_PIECES
//                                                    settings, pass by pass alternating; default: the process's;
//                                                    "auto:off" also sets ENGINE_SPLIT_TAIL=off for that setting)
//                            [--no-residual 1]      (also the engine with the residual sum + ReLU as their own
//                                                    layers: a backend that declines TryConvolutionForwardResidual)
//                            [--no-split 1]         (also the engine with ENGINE_INFER_SPLIT=off: every layer cuts its
//                                                    samples between the threads instead of a sub-batch per thread)
//                            [--pieces off|auto|N]  (also the engine with ENGINE_SPLIT_PIECES set so, on its own copy of
//                                                    the network: the inference split in more pieces than threads; the
//                                                    other engine sides keep the process's setting)
//                            [--settle-ms 100]      (a pause before each side is timed: ORT's intra-op threads keep
//                                                    spinning after a run, and in one process they would take a core
//                                                    from the next side; 0: no pause, as before)
var arguments = Arguments.Parse(args);
string modelPath = arguments.Required("--model"), inputPath = arguments.Required("--input");
int repeat = int.Parse(arguments.Optional("--repeat") ?? "7", CultureInfo.InvariantCulture);
int warmup = int.Parse(arguments.Optional("--warmup") ?? "2", CultureInfo.InvariantCulture);
int passes = int.Parse(arguments.Optional("--passes") ?? "1", CultureInfo.InvariantCulture);
int settleMs = int.Parse(arguments.Optional("--settle-ms") ?? "100", CultureInfo.InvariantCulture);

(int[] shape, float[] input) = Npy.Read(inputPath);
int n = shape[0];
Console.WriteLine($"model     {Path.GetFileName(modelPath)}, input ({string.Join(", ", shape)}) from {Path.GetFileName(inputPath)}");
Console.WriteLine($"env       OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}, {Environment.ProcessorCount} logical CPUs, load average {LoadAverage()} at start");

var options = new EngineHostOptions { UseDefaultFolder = false };
options.PluginFolders.Add(arguments.Required("--plugins"));
using EngineHost host = EngineHost.Create(options);
IModelFormat format = host.Services.GetServices<IModelFormat>().Single(f => f.Extensions.Contains(".onnx"));
using IBackend backend = host.CreateBackend("cpu");
using Network network = EngineInference.Build(host, backend, format.Read(modelPath));
var engine = new EngineInference(network, input, n);
// --unfused 1: the same network a second time with inference fusion off (every layer by itself), as a
// third side, so the gain of running convolution + batch norm + activation as one is measured in one process.
using Network? unfused = arguments.Optional("--unfused") == "1" ? EngineInference.Build(host, backend, format.Read(modelPath)) : null;
if (unfused is not null)
{
    unfused.FuseInference = false;
    Console.WriteLine($"fusion    {network.FusedInferenceLayerCount} layers run inside another's epilogue; 'engine unfused' runs them by themselves");
}
// --no-residual 1: the same network on a backend that declines the residual epilogue (the shortcut's sum and
// the ReLU after it then run as their own layers), as another side, so that gain is measured in one process.
using IBackend? declining = arguments.Optional("--no-residual") == "1" ? new NoResidualBackend(backend) : null;
using Network? noResidual = declining is null ? null : EngineInference.Build(host, declining, format.Read(modelPath));
// --no-split 1: the same network with the inference batch split off, as another side (Network.SplitInference).
using Network? noSplit = arguments.Optional("--no-split") == "1" ? EngineInference.Build(host, backend, format.Read(modelPath)) : null;
if (noSplit is not null)
{
    network.SplitInference = true;
    noSplit.SplitInference = false;
    Console.WriteLine($"split     engine: {(network.SplitsInference(n) ? $"a sub-batch per thread ({(backend as IParallelWorkers)?.WorkerCount} threads)" : $"not split ({network.InferenceSplitRefusal ?? "one thread or batch too small"})")}; 'engine no-split': each layer cuts its samples");
}
// --pieces SETTING: the same network with the inference split's pieces set so (ENGINE_SPLIT_PIECES), as another side.
string? piecesText = arguments.Optional("--pieces");
using Network? piecesSide = piecesText is null ? null : EngineInference.Build(host, backend, format.Read(modelPath));
if (piecesSide is not null)
{
    Console.WriteLine($"pieces    engine: ENGINE_SPLIT_PIECES={Environment.GetEnvironmentVariable("ENGINE_SPLIT_PIECES") ?? "(unset)"} ({SplitPieces.For(n, (backend as IParallelWorkers)?.WorkerCount ?? 1, SplitPieces.Setting)} pieces); 'engine pieces={piecesText}': {SplitPieces.For(n, (backend as IParallelWorkers)?.WorkerCount ?? 1, SplitPieces.Parse(piecesText))} pieces (0: one sub-batch per thread, static)");
}

// --ort-threads 1: ORT's intra-op thread counts, one session each (0: ORT's default); one thread beside
// OPENBLAS_NUM_THREADS=1 for the engine compares CPU time per pass where a loaded machine makes wall time noise.
// --ort-threads none: no ORT session (the engine's sides only, e.g. under perf stat, whose counts are per process).
string ortThreads = arguments.Optional("--ort-threads") ?? "2,0";
var sessions = (ortThreads == "none" ? [] : ortThreads.Split(',')).Select(t => int.Parse(t, CultureInfo.InvariantCulture))
    .Select(t => new OrtInference(t == 0 ? "ORT default" : $"ORT {t} thread{(t == 1 ? "" : "s")}", modelPath, input, shape, intraOpThreads: t)).ToList();
try
{
    var runners = new List<(string Name, Func<float[]> Run)> { ("engine", engine.Run) };
    runners.AddRange(sessions.Select(s => (s.Name, (Func<float[]>)s.Run)));
    if (unfused is not null)
    {
        runners.Add(("engine unfused", new EngineInference(unfused, input, n).Run));
    }
    if (noResidual is not null)
    {
        runners.Add(("engine no-resid", new EngineInference(noResidual, input, n).Run));
    }
    if (noSplit is not null)
    {
        runners.Add(("engine no-split", new EngineInference(noSplit, input, n).Run));
    }
    if (piecesSide is not null)
    {
        // The setting is process-wide: each engine side sets its own before its pass.
        int main = SplitPieces.Setting, other = SplitPieces.Parse(piecesText);
        for (int i = 0; i < runners.Count; i++)
        {
            if (runners[i].Name.StartsWith("engine", StringComparison.Ordinal))
            {
                Func<float[]> run = runners[i].Run;
                runners[i] = (runners[i].Name, () => { SplitPieces.Setting = main; return run(); });
            }
        }
        var pieces = new EngineInference(piecesSide, input, n);
        runners.Add(($"engine pieces={piecesText}", () => { SplitPieces.Setting = other; float[] y = pieces.Run(); SplitPieces.Setting = main; return y; }));
    }
    var times = runners.Select(_ => new List<double>()).ToList();
    var cpu = runners.Select(_ => new List<double>()).ToList(); // CPU seconds of all the process's threads
    using var process = Process.GetCurrentProcess();
    var outputs = new float[runners.Count][];
    for (int round = 0; round < warmup + repeat; round++)
    {
        // Alternating: each round runs every side once, so a burst of load hits all of them alike.
        for (int i = 0; i < runners.Count; i++)
        {
            if (settleMs > 0)
            {
                Thread.Sleep(settleMs); // the previous side's spinning threads go to sleep first
            }
            process.Refresh();
            TimeSpan cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            for (int pass = 0; pass < passes; pass++)
            {
                outputs[i] = runners[i].Run();
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds / passes;
            process.Refresh();
            if (round >= warmup)
            {
                times[i].Add(seconds);
                cpu[i].Add((process.TotalProcessorTime - cpuStart).TotalSeconds / passes);
            }
        }
    }

    double engineMedian = Median(times[0]);
    Console.WriteLine(FormattableString.Invariant($"timing    median of {repeat} alternating rounds of {passes} pass(es) per side after {warmup} warm-up, {settleMs} ms pause before each side, batch {n}, forward pass only (input copied in, output copied out); CPU: all threads of the process, median"));
    for (int i = 0; i < runners.Count; i++)
    {
        double median = Median(times[i]);
        string ratio = i == 0 ? "" : FormattableString.Invariant($", engine/{(runners[i].Name.StartsWith("ORT", StringComparison.Ordinal) ? "ORT" : "this")} throughput {median / engineMedian:F2}");
        string diff = i == 0 ? "" : FormattableString.Invariant($", max |engine − ORT| {MaxAbsDiff(outputs[0], outputs[i]):G3}");
        Console.WriteLine(FormattableString.Invariant($"{runners[i].Name,-15} {n / median,10:F1} images/s  ({median * 1e3:F2} ms per batch, min {times[i].Min() * 1e3:F2}; CPU {Median(cpu[i]) * 1e3:F1} ms){ratio}{diff}"));
    }
    if (sessions.Count > 0)
    {
        Console.WriteLine($"output    {outputs[0].Length / n} values per sample; max |value| {outputs[1].Max(Math.Abs):G4} (ORT)");
    }
    if (arguments.Optional("--cli-output") is string cliOutput)
    {
        (int[] cliShape, float[] cliValues) = Npy.Read(cliOutput);
        Console.WriteLine(FormattableString.Invariant($"cli       engine infer wrote ({string.Join(", ", cliShape)}): max |cli − ORT| {MaxAbsDiff(cliValues, outputs[1]):G3}"));
    }
    if (arguments.Optional("--profile") is string profile)
    {
        LayerProfile.Print(network, engine.Run, modelPath, input, shape, int.Parse(profile, CultureInfo.InvariantCulture));
    }
    if (arguments.Optional("--split-profile") is string splitProfile)
    {
        string[] settings = (arguments.Optional("--split-profile-pieces") ?? SplitPieces.Setting switch { SplitPieces.Off => "off", SplitPieces.Auto => "auto", int perThread => perThread.ToString(CultureInfo.InvariantCulture) }).Split(',');
        SplitProfile.Print(network, engine.Run, int.Parse(splitProfile, CultureInfo.InvariantCulture), settings);
    }
    Console.WriteLine($"env       load average {LoadAverage()} at end");
}
finally
{
    sessions.ForEach(s => s.Dispose());
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static double MaxAbsDiff(float[] a, float[] b) =>
    a.Length != b.Length ? double.NaN : a.Zip(b).Max(p => (double)Math.Abs(p.First - p.Second));

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "(unknown)";

/// <summary>The engine's side: the body of <c>engine infer</c>'s loop for one batch of the whole input.</summary>
internal sealed class EngineInference(Network network, float[] input, int n)
{
    private readonly Tensor _x = network.Backend.Allocate(network.InputShape.WithBatch(n));
    private readonly float[] _output = new float[(long)n * network.OutputShape.ElementCount];

    public float[] Run()
    {
        network.Backend.CopyFromHost<float>(input, _x);
        Tensor y = network.Forward(_x, training: false);
        network.Backend.CopyToHost<float>(y, _output);
        return _output;
    }

    /// <summary>
    /// The model with the file's weights, as <c>engine infer --model M.onnx</c> builds it: the network's
    /// own state first (what the file does not carry keeps its value), then every entry of the file.
    /// </summary>
    public static Network Build(EngineHost host, IBackend backend, ModelPackage package)
    {
        Network network = Network.Build(package.Spec, host.Catalog, backend, package.InputShape, seed: 1);
        var state = new StateDictionary();
        ModelState.Save(network, state);
        foreach (string name in package.State.Names)
        {
            state.Set(name, package.State[name]);
        }
        ModelState.Load(network, state, "benchmark model");
        return network;
    }
}

/// <summary>The engine's backend without the residual epilogue (the SDK's default: the separate sum and activation).</summary>
internal sealed class NoResidualBackend(IBackend inner) : BackendDecorator(inner, ownsInner: false)
{
    public override bool TryConvolutionForwardResidual(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Tensor residual,
        Activation? activation, double alpha, Tensor y) => false;
}

/// <summary>ONNX Runtime's side: one session (all graph optimisations, as deployed), input and output bound once.</summary>
internal sealed class OrtInference : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly OrtValue _input;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _run = new();

    public OrtInference(string name, string model, float[] input, int[] shape, int intraOpThreads)
    {
        Name = name;
        _options = new SessionOptions { IntraOpNumThreads = intraOpThreads, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(model, _options);
        _input = OrtValue.CreateTensorValueFromMemory(input, shape.Select(d => (long)d).ToArray());
        _inputNames = [_session.InputMetadata.Keys.Single()];
        _outputNames = [_session.OutputMetadata.Keys.Single()];
    }

    public string Name { get; }

    public float[] Run()
    {
        using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_run, _inputNames, [_input], _outputNames);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        _input.Dispose();
        _session.Dispose();
        _options.Dispose();
        _run.Dispose();
    }
}

/// <summary>Little-endian float32 C-order .npy, the files `engine infer` reads and writes.</summary>
internal static class Npy
{
    public static (int[] Shape, float[] Values) Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        // "\x93NUMPY", major and minor version, header length (2 bytes in version 1, else 4), header.
        int headerStart = bytes[6] == 1 ? 10 : 12;
        int headerLength = bytes[6] == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToInt32(bytes, 8);
        int dataStart = headerStart + headerLength;
        string header = System.Text.Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'<f4'", StringComparison.Ordinal) || header.Contains("True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not little-endian float32 in C order: {header.Trim()}");
        }
        string dims = header[(header.IndexOf('(', StringComparison.Ordinal) + 1)..header.IndexOf(')', StringComparison.Ordinal)];
        int[] shape = dims.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        var values = new float[(bytes.Length - dataStart) / 4];
        Buffer.BlockCopy(bytes, dataStart, values, 0, values.Length * 4);
        return (shape, values);
    }
}

/// <summary>"--name value" pairs.</summary>
internal sealed class Arguments(Dictionary<string, string> values)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }
        return new Arguments(values);
    }

    public string? Optional(string name) => values.GetValueOrDefault(name);

    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"{name} is required");
}
