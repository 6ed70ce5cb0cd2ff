using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Every example in README.md and in the help text runs (see <see cref="DocumentedExamples"/> for
/// how they are found): command lines with the files they name provided by a sandbox, kept short
/// (one epoch of 64 examples, a few conformance cases); synopses (NAME, [optional], a|b) name only
/// commands and options that exist.
/// </summary>
public sealed class DocumentedExamplesTests(DocumentedExamplesTests.Sandbox sandbox) : IClassFixture<DocumentedExamplesTests.Sandbox>
{
    [Fact]
    public void TheReadmeHasExamplesOfEachKind()
    {
        // Guards the extraction itself: a README reshuffle that hid every example would pass vacuously.
        Assert.True(DocumentedExamples.JsonBlocks().Count >= 3);
        Assert.True(DocumentedExamples.CommandLines().Count(a => !DocumentedExamples.IsSynopsis(a) && a.Length > 1) >= 4);
        Assert.True(DocumentedExamples.CommandLines().Count(DocumentedExamples.IsSynopsis) >= 4);
        Assert.True(DocumentedExamples.HelpExamples().Count >= 8);
    }

    [Fact]
    public void EveryJsonBlockOfTheReadmeIsAModelOrConfigFileThatWorks()
    {
        int n = 0;
        foreach (string json in DocumentedExamples.JsonBlocks())
        {
            string file = Path.Combine(sandbox.Folder, $"readme-{n++}.json");
            File.WriteAllText(file, json);
            string[] args = json.Contains("\"layers\"", StringComparison.Ordinal)
                ? ["summary", "--model", file, "--dataset", "mnist", "--data", RepoPaths.Mnist]
                : ["train", "--config", file, "--data", RepoPaths.Mnist, "--limit", "64", "--epochs", "1", "--no-progress"];
            var (code, output, error) = CliRunner.Run(args);
            Assert.True(code == 0, $"README block {json} as '{string.Join(' ', args)}' failed ({code}): {error}{output}");
        }
    }

    [Fact]
    public void EveryCommandLineOfTheReadmeRuns()
    {
        var unwritten = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] example in DocumentedExamples.CommandLines().Where(a => a.Length > 1 && !DocumentedExamples.IsSynopsis(a) && !DocumentedExamples.IsCommandMention(a)))
        {
            string[] args = Quick(example.Select(sandbox.Substitute).ToArray());
            if ((example.Any(a => a.Contains("../shared/data", StringComparison.Ordinal)) && !Directory.Exists(RepoPaths.SharedData))
                || example.Any(unwritten.Contains))
            {
                // The real data sets are not beside this checkout (CI): nothing to run it on, nor on
                // what it would have written (the next example exports its checkpoint).
                unwritten.UnionWith(example.Where((a, i) => i > 0 && example[i - 1] is "--checkpoint" or "--output"));
                continue;
            }
            var (code, output, error) = sandbox.RunEngine(args);
            // The sandbox gives the process's whole log (standard output, then error) as output.
            string log = output + error;
            if (DocumentedExamples.NeedsGpu(example) && log.Contains("unavailable: no GPU", StringComparison.Ordinal))
            {
                // A GPU example on a machine without one (every CI machine): the one-line refusal the
                // README promises; on a GPU machine it runs like the others.
                Assert.Equal(1, code);
                Assert.Single(log.TrimEnd().Split('\n'));
                continue;
            }
            Assert.True(code == 0, $"README example 'engine {string.Join(' ', example)}' run as '{string.Join(' ', args)}' failed ({code}): {error}{output}");
        }
    }

    /// <summary>
    /// The README's <c>mpirun</c>/<c>mpiexec.mpich</c> lines run too, under the launcher they name, with
    /// their rank count and environment, the engine's arguments shortened as above. A launcher option
    /// this test does not know fails it, so the README cannot drift into lines nothing runs.
    /// </summary>
    [Fact]
    public void EveryMpiLaunchOfTheReadmeRuns()
    {
        IReadOnlyList<string[]> launches = DocumentedExamples.MpiLaunchLines();
        Assert.True(launches.Count >= 3, $"the README's data-parallel section shows 3 launches, found {launches.Count}");
        foreach (string[] line in launches)
        {
            bool mpich = line[0] == "mpiexec.mpich";
            if (mpich ? !MpiRun.MpichAvailable : !MpiRun.Available)
            {
                continue; // build.sh installs Open MPI; MPICH comes with .ci/run (DistributedMpichTests say so when it is absent)
            }
            int engine = Array.FindIndex(line, w => w.EndsWith("engine/engine", StringComparison.Ordinal));
            Assert.True(engine > 0, $"README launch '{string.Join(' ', line)}' names no artifacts/engine/engine");
            int ranks = 0;
            var environment = new List<(string Name, string Value)>();
            for (int i = 1; i < engine; i++)
            {
                switch (line[i])
                {
                    case "-np":
                        ranks = int.Parse(line[++i], System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case "-x" when !mpich:
                        string[] pair = line[++i].Split('=', 2);
                        environment.Add((pair[0], pair[1]));
                        break;
                    case "-genv" when mpich:
                        environment.Add((line[i + 1], line[i + 2]));
                        i += 2;
                        break;
                    default:
                        Assert.Fail($"README launch '{string.Join(' ', line)}': launcher option '{line[i]}' is not one this test runs");
                        break;
                }
            }
            string[] args = Quick(line[(engine + 1)..].Select(sandbox.Substitute).ToArray());
            var (code, output, error) = MpiRun.RunApps([(ranks, args)], launcher: mpich ? MpiRun.Mpich : null, environment: environment, workingDirectory: sandbox.Folder);
            Assert.True(code == 0, $"README launch '{string.Join(' ', line)}' run with '{string.Join(' ', args)}' failed ({code}): {error}{output}");
            Assert.Contains($"ranks     {ranks} ", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EverySynopsisOfTheReadmeNamesExistingCommandsAndOptions()
    {
        RootCommand root = EngineCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        foreach (string[] synopsis in DocumentedExamples.CommandLines().Where(a => a.Length == 1 || DocumentedExamples.IsSynopsis(a) || DocumentedExamples.IsCommandMention(a)))
        {
            Command command = root;
            foreach (string word in synopsis.TakeWhile(w => !w.StartsWith('-') && w.All(c => char.IsLower(c) || c == '-')))
            {
                Command? sub = command.Subcommands.FirstOrDefault(c => c.Name == word);
                if (sub is null && command.Arguments.Count > 0)
                {
                    break; // an argument value (engine check-backend cudnn), not a subcommand
                }
                command = sub ?? throw new Xunit.Sdk.XunitException($"README names 'engine {string.Join(' ', synopsis)}': '{word}' is not a subcommand of '{command.Name}'");
            }
            var known = command.Options.Concat(root.Options.Where(o => o.Recursive)).Select(o => o.Name).ToHashSet();
            foreach (string option in synopsis.Select(w => w.Trim('[', ']', '(', ')', '|')).Where(w => w.StartsWith("--", StringComparison.Ordinal)))
            {
                Assert.True(known.Contains(option), $"README names 'engine {string.Join(' ', synopsis)}': '{command.Name}' has no option {option}");
            }
        }
    }

    [Fact]
    public void EveryExampleValueInTheHelpIsAccepted()
    {
        foreach (var (command, symbol, value) in DocumentedExamples.HelpExamples())
        {
            string[] args = command switch
            {
                ["train"] => ["train", "--model", "lenet5", "--data", RepoPaths.Mnist, "--limit", "64", "--epochs", "1", "--no-progress", symbol, value],
                ["summary"] => ["summary", .. symbol == "--model" ? Array.Empty<string>() : ["--model", "lenet5"], symbol, value],
                ["check-backend"] when symbol.StartsWith('-') => ["check-backend", "openblas", "--hide-skipped", symbol, value],
                ["check-backend"] => ["check-backend", value, "--hide-skipped", "--filter", "convolution"],
                ["export"] => ["export", .. symbol == "--model" ? Array.Empty<string>() : ["--model", "resnet20"], symbol, value,
                    "--output", Path.Combine(sandbox.Folder, "help-example.onnx")],
                ["bench", "train"] => ["bench", "train", "--model", "vgg-cifar", "--dataset", "synthetic", "--batch", "2", "--inference-batch", "2",
                    "--steps", "1", "--repeat", "1", "--warmup", "1", "--held", "1", symbol, value],
                _ => [.. command, symbol, value],
            };
            var (code, output, error) = CliRunner.Run(args);
            Assert.True(code == 0, $"help example '{value}' of {string.Join(' ', command)} {symbol}, run as '{string.Join(' ', args)}', failed ({code}): {error}{output[Math.Max(0, output.Length - 500)..]}");
        }
    }

    // The example as a short run: one epoch of 64 examples, a handful of conformance cases, two bench steps.
    private static string[] Quick(string[] args) => args switch
    {
        ["train", ..] => [.. Set(Set(args, "--epochs", "1"), "--limit", "64"), "--no-progress"],
        ["check-backend", ..] when !args.Contains("--filter") => [.. args, "--filter", "convolution", "--hide-skipped"],
        ["bench", "train", ..] => Set(Set(Set(args, "--steps", "2"), "--repeat", "1"), "--inference-batch", "16"),
        ["bench", "layers", ..] => Set(args, "--repeat", "1"),
        _ => args,
    };

    private static string[] Set(string[] args, string option, string value)
    {
        int at = Array.IndexOf(args, option);
        return at < 0 ? [.. args, option, value] : [.. args[..(at + 1)], value, .. args[(at + 2)..]];
    }

    /// <summary>
    /// A working folder holding what the README's examples assume: data/ and samples/ of the
    /// repository (links; docs/ too), run.ckpt and artifacts/demo/lenet5.ckpt (LeNet-5 after one short epoch),
    /// my-images/ (an image-folder data set), digits.npy and x.npy (four 28×28 images), and the sample plugin built by the README's own
    /// <c>dotnet build</c> line, its /tmp/my-plugins folder moved here.
    /// </summary>
    public sealed class Sandbox : IDisposable
    {
        public Sandbox()
        {
            Folder = Directory.CreateTempSubdirectory("engine-readme-").FullName;
            foreach (string link in new[] { "data", "samples", "benchmarks", "docs", "tests" })
            {
                Directory.CreateSymbolicLink(Path.Combine(Folder, link), Path.Combine(RepoPaths.Root, link));
            }
            string checkpoint = Path.Combine(Folder, "run.ckpt");
            var (code, output, error) = CliRunner.Run("train", "--model", "lenet5", "--data", RepoPaths.Mnist, "--limit", "256", "--epochs", "1", "--no-progress", "--checkpoint", checkpoint);
            Assert.True(code == 0, error + output);
            Directory.CreateDirectory(Path.Combine(Folder, "artifacts", "demo"));
            File.Copy(checkpoint, Path.Combine(Folder, "artifacts", "demo", "lenet5.ckpt"));
            WriteImageFolder(Path.Combine(Folder, "my-images"));
            // digits.npy for the HOG example: four 28×28 images in [0, 1] (a diagonal ramp each).
            float[] digits = new float[4 * 28 * 28];
            for (int i = 0; i < digits.Length; i++)
            {
                digits[i] = ((i % 28) + (i / 28 % 28)) / 54f;
            }
            NpyFile.WriteFloat32(Path.Combine(Folder, "digits.npy"), [4, 28, 28], digits);
            // x.npy for the infer example: the same images as N×C×H×W, LeNet-5's input.
            NpyFile.WriteFloat32(Path.Combine(Folder, "x.npy"), [4, 1, 28, 28], digits);
            foreach (string[] build in DocumentedExamples.DotnetBuildLines())
            {
                string sdk = Path.GetDirectoryName(typeof(EngineSdk).Assembly.Location)! + Path.DirectorySeparatorChar;
                int exit;
                string log;
                lock (SampleBuilds.InPlace)
                {
                    (exit, log) = Run("dotnet", [.. build.Select(Substitute), $"-p:EngineSdkDirectory={sdk}", "--nologo", "-v", "q"], RepoPaths.Root);
                }
                Assert.True(exit == 0, log);
            }
        }

        public string Folder { get; }

        /// <summary>A path of the README that lies outside the sandbox, moved into it.</summary>
        // ../shared/data (the real data sets beside the checkout) is the repository's, wherever the sandbox is.
        public string Substitute(string word) => word.Replace("/tmp/my-plugins", Path.Combine(Folder, "my-plugins"), StringComparison.Ordinal)
            .Replace("../shared/data", RepoPaths.SharedData, StringComparison.Ordinal);

        public (int Code, string Output, string Error) RunEngine(string[] args)
        {
            var (code, log) = Run(Path.Combine(RepoPaths.Root, "artifacts", "engine", "engine"), args, Folder);
            return (code, log, "");
        }

        public void Dispose() => Directory.Delete(Folder, recursive: true);

        private static (int Code, string Log) Run(string program, string[] args, string folder)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
            foreach (string a in args)
            {
                start.ArgumentList.Add(a);
            }
            using var process = Process.Start(start)!;
            Task<string> errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + errors.GetAwaiter().GetResult());
        }

        // Two classes of 28×28 grey PGM images: dark and bright, with a little texture.
        private static void WriteImageFolder(string root)
        {
            foreach (var (split, count) in new[] { ("train", 6), ("test", 2) })
            {
                foreach (var (name, level) in new[] { ("dark", 40), ("bright", 200) })
                {
                    string folder = Path.Combine(root, split, name);
                    Directory.CreateDirectory(folder);
                    for (int i = 0; i < count; i++)
                    {
                        byte[] header = Encoding.ASCII.GetBytes("P5\n28 28\n255\n");
                        byte[] pixels = Enumerable.Range(0, 28 * 28).Select(p => (byte)(level + (p * 7 + i * 13) % 40)).ToArray();
                        File.WriteAllBytes(Path.Combine(folder, $"{i}.pgm"), [.. header, .. pixels]);
                    }
                }
            }
        }
    }
}
