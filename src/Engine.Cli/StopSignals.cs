using System.Runtime.InteropServices;

namespace Engine.Cli;

/// <summary>
/// Ctrl+C (SIGINT), SIGTERM and SIGHUP during a long command: the first one cancels the run, which
/// stops between steps (a checkpoint being written is finished first, so the last good one stays);
/// a second one ends the process at once. The exit code is 128 + the signal number (130, 143, 129),
/// as a shell reports a process killed by it.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private PosixSignal? _received;

    public StopSignals()
    {
        _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(Register)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The first signal received, if any.</summary>
    public PosixSignal? Received => _received;

    /// <summary>SIGINT, SIGTERM or SIGHUP.</summary>
    public string Name => _received switch
    {
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGHUP => "SIGHUP",
        _ => "SIGINT (Ctrl+C)",
    };

    /// <summary>128 + the signal's number.</summary>
    public int ExitCode => _received switch
    {
        PosixSignal.SIGTERM => 143,
        PosixSignal.SIGHUP => 129,
        _ => 130,
    };

    /// <summary>Signals the run as SIGINT would (tests, and callers without a real signal).</summary>
    internal void Raise(PosixSignal signal)
    {
        _received ??= signal;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
        _cancel.Dispose();
    }

    private PosixSignalRegistration Register(PosixSignal signal) => PosixSignalRegistration.Create(signal, context =>
    {
        // The first signal stops the run gracefully; while it stops, a second one gets the default action.
        context.Cancel = !_cancel.IsCancellationRequested;
        Raise(signal);
    });
}
