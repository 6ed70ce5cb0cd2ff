using System.CommandLine;
using Engine.Conformance;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine check-backend NAME</c>: the conformance kit on one backend, a line per case, ending
/// with <c>N passed, N failed</c>; exit code 1 when anything failed.
/// </summary>
internal static class CheckBackendCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var backend = new Argument<string>("backend") { Description = "The backend to check, by name (e.g. openblas) or device (cpu, gpu)" };
        var reference = new Option<string>("--reference")
        {
            Description = "The reference backend, run in float64 for layers, losses and optimisers (default: cpu)",
            DefaultValueFactory = _ => BackendCheck.DefaultReference,
        };
        var filter = new Option<string?>("--filter") { Description = "Run only cases whose name contains this text, e.g. convolution" };
        var hideSkipped = new Option<bool>("--hide-skipped") { Description = "Do not print a line for each case the backend does not claim (they are still counted)" };
        var command = new Command("check-backend", "Run the conformance kit on a backend: every op, descriptor, data type, layer, loss and optimiser it claims against the CPU reference, plus gradient checks")
        {
            backend, reference, filter, hideSkipped,
        };
        command.SetAction(result => EngineCli.Guard(error, () =>
        {
            var options = new EngineHostOptions();
            options.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
            using EngineHost host = CliHost.Create(options);
            return BackendCheck.Run(host.Catalog, result.GetValue(backend)!, result.GetValue(reference)!, result.GetValue(filter), !result.GetValue(hideSkipped), output, error);
        }));
        return command;
    }
}
