using System.CommandLine;

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

    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("engine: build, train and run convolutional neural networks")
        {
            PluginFolders,
            PluginsCommand.Create(output),
            TrainCommand.Create(output, error),
            SummaryCommand.Create(output, error),
            BenchCommand.Create(output, error),
            EvalCommand.Create(output, error),
            PredictCommand.Create(output, error),
            CheckBackendCommand.Create(output, error),
        };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>Runs <paramref name="body"/>, turning engine errors into one 'error:' line and exit code 1.</summary>
    internal static int Guard(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (EngineException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (BackendFailure.TryDescribe(e, out string message))
        {
            error.WriteLine($"error: {message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the trainer stops between steps; checkpoints already written stay as they are.
            error.WriteLine("stopped: interrupted");
            return 130;
        }
    }
}
