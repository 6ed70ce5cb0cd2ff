using System.CommandLine;
using Engine.Host;

namespace Engine.Cli;

/// <summary>The <c>engine</c> command line; writers are parameters so tests can run it in-process.</summary>
public static class EngineCli
{
    /// <summary>Extra plugin folders, shared by every command.</summary>
    internal static readonly Option<string[]> PluginFolders = new("--plugins")
    {
        Description = "An extra plugin folder (repeatable); searched before ENGINE_PLUGIN_PATH and plugins/ next to the executable",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Adds the stack trace to an unexpected error (as does the environment variable ENGINE_DEBUG=1).</summary>
    internal static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "On an unexpected error, print its stack trace after the error line (as ENGINE_DEBUG=1 does)",
        Recursive = true,
    };

    /// <summary>
    /// Float32 math of GPU backends, passed to them through the ENGINE_PRECISION environment variable
    /// (the backend reads it when it is created).
    /// </summary>
    internal static readonly Option<string?> Precision = new("--precision")
    {
        Description = "Float32 math on a GPU backend: tf32 (TF32 tensor cores for convolutions and GEMMs, the default where the GPU has them), strict (plain float32, deterministic algorithms), "
            + "bf16 or fp16 (mixed precision: convolutions and GEMMs on 16-bit copies with float32 accumulation, weights and checkpoints float32; fp16 training with dynamic loss scaling)",
        Recursive = true,
    };

    /// <summary>How a GPU backend picks convolution algorithms, passed through ENGINE_CUDNN_ALGORITHMS.</summary>
    internal static readonly Option<string?> CudnnAlgorithms = new("--cudnn-algorithms")
    {
        Description = "Convolution algorithms on the cudnn backend: measured (time every algorithm once per convolution shape and keep the fastest within the workspace limit, the default) or heuristic (cuDNN's ranked guess, "
            + "the default under --precision strict, where measured keeps deterministic plain-sum algorithms only: no FFT nor Winograd)",
        Recursive = true,
    };

    /// <summary>The tensor layout of the cudnn backend's convolutions, passed through ENGINE_CUDNN_LAYOUT.</summary>
    internal static readonly Option<string?> CudnnLayout = new("--cudnn-layout")
    {
        Description = "Tensor layout of the cudnn backend's convolutions: nchw (the engine's own, the default), nhwc (channels last: each convolution's operands copied to NHWC and back) "
            + "or auto (NHWC for 2-D convolutions under bf16/fp16 with channels in multiples of 8); layers see NCHW either way",
        Recursive = true,
    };

    /// <summary>The workspace limit of measured convolution algorithms in MiB, passed through ENGINE_CUDNN_WORKSPACE_MB.</summary>
    internal static readonly Option<int?> CudnnWorkspaceMiB = new("--cudnn-workspace-mb")
    {
        Description = "Workspace limit in MiB for the cudnn backend's measured convolution algorithms (default 1024)",
        Recursive = true,
    };

    // Set per invocation (an AsyncLocal, so in-process runs in parallel tests do not see each other's).
    internal static readonly AsyncLocal<bool> ShowStackTraces = new();

    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = CreateRoot(output, error);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.GetValue(Precision) is { } precision)
        {
            // GPU backends read it when they are created.
            Environment.SetEnvironmentVariable("ENGINE_PRECISION", precision);
        }
        if (parsed.Errors.Count == 0 && parsed.GetValue(CudnnAlgorithms) is { } algorithms)
        {
            Environment.SetEnvironmentVariable("ENGINE_CUDNN_ALGORITHMS", algorithms);
        }
        if (parsed.Errors.Count == 0 && parsed.GetValue(CudnnLayout) is { } layout)
        {
            Environment.SetEnvironmentVariable("ENGINE_CUDNN_LAYOUT", layout);
        }
        if (parsed.Errors.Count == 0 && parsed.GetValue(CudnnWorkspaceMiB) is int workspace)
        {
            if (workspace < 0)
            {
                error.WriteLine($"error: --cudnn-workspace-mb must be 0 or more, got {workspace}");
                return 1;
            }
            Environment.SetEnvironmentVariable("ENGINE_CUDNN_WORKSPACE_MB", workspace.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        ShowStackTraces.Value = parsed.GetValue(Verbose) || Environment.GetEnvironmentVariable("ENGINE_DEBUG") == "1";
        CliHost.BeginInvocation();
        if (parsed.Errors.Count > 0)
        {
            // One line in plain words, not the .NET type (System.Nullable`1[System.Int32]) nor the whole help.
            string command = parsed.CommandResult.Command == root ? "engine" : $"engine {parsed.CommandResult.Command.Name}";
            error.WriteLine($"error: {string.Join("; ", parsed.Errors.Select(e => ParseErrors.Plain(e.Message)))} (see '{command} --help')");
            return 1;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The command tree (also read by the tests that run every example of the help text).</summary>
    internal static RootCommand CreateRoot(TextWriter output, TextWriter error)
    {
        Precision.AcceptOnlyFromAmong("tf32", "strict", "bf16", "fp16");
        CudnnAlgorithms.AcceptOnlyFromAmong("measured", "heuristic");
        CudnnLayout.AcceptOnlyFromAmong("nchw", "nhwc", "auto");
        return new RootCommand("engine: build, train and run convolutional neural networks")
        {
            PluginFolders,
            Verbose,
            Precision,
            CudnnAlgorithms,
            CudnnWorkspaceMiB,
            CudnnLayout,
            PluginsCommand.Create(output),
            TrainCommand.Create(output, error),
            SummaryCommand.Create(output, error),
            BenchCommand.Create(output, error),
            EvalCommand.Create(output, error),
            PredictCommand.Create(output, error),
            CheckBackendCommand.Create(output, error),
            VisualizeCommand.Create(output, error),
            FeaturesCommand.Create(output, error),
            ClassicalCommand.Create(output, error),
            ImportCommand.Create(output, error),
            ExportCommand.Create(output, error),
            InferCommand.Create(output, error),
        };
    }

    /// <summary>
    /// Runs <paramref name="body"/>, turning every failure into one 'error:' line and exit code 1 (130 for
    /// Ctrl+C), followed by one line for each plugin that failed to load (<see cref="CliHost"/>); with
    /// --verbose or ENGINE_DEBUG=1 an unexpected exception's stack trace follows the line.
    /// </summary>
    internal static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (EngineException e)
        {
            error.WriteLine($"error: {e.Message}");
            WritePluginFailures(error);
            if (ShowStackTraces.Value && e.InnerException is not null)
            {
                error.WriteLine(e.ToString()); // an unexpected exception the host API wrapped: its trace
            }
            return 1;
        }
        catch (Exception e) when (BackendFailure.TryDescribe(e, out string message))
        {
            error.WriteLine($"error: {message}");
            WritePluginFailures(error);
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the trainer stops between steps; checkpoints already written stay as they are.
            error.WriteLine("stopped: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            error.WriteLine($"error: {ErrorBoundary.Describe(e)}");
            WritePluginFailures(error);
            if (ShowStackTraces.Value)
            {
                error.WriteLine(e.ToString());
            }
            return 1;
        }
    }

    // After the error line: the plugins that failed to load, each with its reason. A missing format,
    // layer, model or backend is most often one of them ("is the ... plugin loaded?"), and the error
    // then says which and why where it happened, instead of pointing at 'engine plugins'.
    private static void WritePluginFailures(TextWriter error)
    {
        foreach (string line in CliHost.FailureLines())
        {
            error.WriteLine(line);
        }
    }
}
