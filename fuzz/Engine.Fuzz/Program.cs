using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Engine.Fuzz;

// engine-fuzz afl TARGET                      one process for afl-fuzz (SharpFuzz's out-of-process mode)
// engine-fuzz mutate TARGET SECONDS [SEED]    random mutation of the corpus for SECONDS; findings saved
// engine-fuzz replay TARGET FILE...           runs files once each; exit code 1 when any is a finding
// engine-fuzz seed                            (re)writes the seed corpora
string root = Environment.GetEnvironmentVariable("ENGINE_FUZZ_ROOT") ?? Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..");
root = Path.GetFullPath(root);
switch (args)
{
    case ["afl", string target]:
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            _ = FuzzTargets.Run(target, buffer.ToArray()); // anything but an EngineException escapes: a crash for afl
        });
        return 0;
    case ["mutate", string target, string seconds, ..]:
        return new MutationFuzzer(root, target, args.Length > 3 ? ulong.Parse(args[3], CultureInfo.InvariantCulture) : 1)
            .Run(TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)));
    case ["replay", string target, .. var files]:
        int failures = 0;
        foreach (string file in files)
        {
            try
            {
                Console.WriteLine(FuzzTargets.Run(target, File.ReadAllBytes(file)) is string refused ? $"refused   {file}: {refused}" : $"accepted  {file}");
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"FINDING   {file}: {e.GetType().Name}: {e.Message}");
            }
        }
        return failures == 0 ? 0 : 1;
    case ["seed"]:
        SeedCorpus.Write(Path.Combine(root, "fuzz", "corpus"));
        return 0;
    default:
        Console.Error.WriteLine($"usage: engine-fuzz afl|mutate|replay|seed TARGET ...; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
        return 2;
}

/// <summary>
/// A plain random-mutation fuzzer over the same targets (no coverage feedback): each execution takes a
/// corpus file, applies 1–8 mutations (bit flips, interesting bytes and integers, chunk deletion,
/// duplication and insertion, splicing with another file), and runs the target. An exception other than
/// an <see cref="EngineException"/> is a finding, saved once per exception type and innermost frame under
/// fuzz/findings/TARGET/; an execution over 10 s is a hang, saved, and the run stops.
/// </summary>
internal sealed class MutationFuzzer(string root, string target, ulong seed)
{
    private static readonly long[] Interesting = [0, 1, -1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1L << 40, long.MaxValue];
    private readonly Random _random = new((int)(seed % int.MaxValue));
    private byte[] _current = [];

    public int Run(TimeSpan duration)
    {
        if (!FuzzTargets.All.ContainsKey(target))
        {
            Console.Error.WriteLine($"unknown target '{target}'; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
            return 2;
        }
        string corpusFolder = Path.Combine(root, "fuzz", "corpus", target);
        string findings = Path.Combine(root, "fuzz", "findings", target);
        byte[][] corpus = Directory.GetFiles(corpusFolder).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        if (corpus.Length == 0)
        {
            Console.Error.WriteLine($"no seed files in {corpusFolder}: run 'engine-fuzz seed'");
            return 2;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long executions = 0, accepted = 0;
        long started = Stopwatch.GetTimestamp();
        long execStart = 0;
        using var watchdog = new Timer(_ =>
        {
            long at = Interlocked.Read(ref execStart);
            if (at != 0 && Stopwatch.GetElapsedTime(at) > TimeSpan.FromSeconds(10))
            {
                Save(findings, "hang", _current, "an execution ran over 10 s");
                Console.WriteLine($"{target}: HANG after {executions} executions; input saved in {findings}");
                Environment.Exit(3);
            }
        }, null, 1000, 1000);
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            _current = Mutate(corpus[_random.Next(corpus.Length)], corpus);
            Interlocked.Exchange(ref execStart, Stopwatch.GetTimestamp());
            try
            {
                accepted += FuzzTargets.Run(target, _current) is null ? 1 : 0;
            }
            catch (Exception e)
            {
                string frame = new StackTrace(e).GetFrames().Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType?.Namespace?.StartsWith("Engine", StringComparison.Ordinal) == true) is { } m
                    ? $"{m.DeclaringType!.Name}.{m.Name}" : "?";
                string key = $"{e.GetType().Name} in {frame}";
                if (seen.Add(key))
                {
                    string file = Save(findings, "crash", _current, $"{key}: {e.Message}\n\n{e}");
                    Console.WriteLine($"{target}: FINDING {key}: {e.Message.Split('\n')[0]} -> {file}");
                }
            }
            Interlocked.Exchange(ref execStart, 0);
            executions++;
        }
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target}: {executions} executions in {seconds:F0} s ({executions / seconds:F0}/s), {accepted} accepted, {executions - accepted - 0} refused or failed, {seen.Count} distinct finding(s)"));
        return seen.Count == 0 ? 0 : 1;
    }

    private static string Save(string folder, string kind, byte[] input, string description)
    {
        Directory.CreateDirectory(folder);
        string name = $"{kind}-{Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant()}";
        File.WriteAllBytes(Path.Combine(folder, name + ".bin"), input);
        File.WriteAllText(Path.Combine(folder, name + ".txt"), description);
        return Path.Combine(folder, name + ".bin");
    }

    private byte[] Mutate(byte[] seedInput, byte[][] corpus)
    {
        var data = new List<byte>(seedInput);
        int count = 1 + _random.Next(8);
        for (int i = 0; i < count; i++)
        {
            int at = data.Count == 0 ? 0 : _random.Next(data.Count);
            switch (_random.Next(9))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = (byte)_random.Next(256);
                    break;
                case 2 when data.Count > 0:
                    data[at] = (byte)Interesting[_random.Next(6)];
                    break;
                case 3 when data.Count >= 4:
                    // a 16- or 32-bit interesting integer, either byte order: sizes and counts in headers
                    long value = Interesting[_random.Next(Interesting.Length)];
                    int width = _random.Next(2) == 0 ? 2 : 4;
                    at = Math.Min(at, data.Count - width);
                    for (int b = 0; b < width; b++)
                    {
                        int shift = _random.Next(2) == 0 ? 8 * b : 8 * (width - 1 - b);
                        data[at + b] = (byte)(value >> shift);
                    }
                    break;
                case 4 when data.Count > 1:
                    data.RemoveRange(at, Math.Min(1 + _random.Next(32), data.Count - at));
                    break;
                case 5 when data.Count > 0:
                    int length = Math.Min(1 + _random.Next(64), data.Count - at);
                    data.InsertRange(_random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 6:
                    data.InsertRange(at, Enumerable.Range(0, 1 + _random.Next(16)).Select(_ => (byte)_random.Next(256)));
                    break;
                case 7:
                    byte[] other = corpus[_random.Next(corpus.Length)];
                    int from = other.Length == 0 ? 0 : _random.Next(other.Length);
                    data.RemoveRange(at, data.Count - at);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                default:
                    if (data.Count > 0)
                    {
                        // text formats: a token that parsers find interesting
                        string[] tokens = ["-1", "0", "1e400", "NaN", "2147483648", "99999999999", "\"", "{", "[", "null", "true", ",", "\\u0000", "-0"];
                        data.InsertRange(at, System.Text.Encoding.ASCII.GetBytes(tokens[_random.Next(tokens.Length)]));
                    }
                    break;
            }
        }
        return [.. data];
    }
}
