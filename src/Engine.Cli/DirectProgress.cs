namespace Engine.Cli;

/// <summary>
/// Calls the handler on the reporting thread. <see cref="Progress{T}"/> would post each report to
/// the thread pool, where reports could arrive late or out of order.
/// </summary>
internal sealed class DirectProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
