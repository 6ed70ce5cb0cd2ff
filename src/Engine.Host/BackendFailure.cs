using System.Diagnostics;

namespace Engine.Host;

/// <summary>
/// Turns an unexpected exception thrown inside a backend's op (a backend that claimed an op through
/// <see cref="IBackend.Supports(OpDescriptor)"/> and then failed it) into one line naming the
/// backend and the op, instead of a crash with a stack trace: it is that backend's failure, not the
/// user's, and <c>engine check-backend</c> is the way to see all of them.
/// </summary>
internal static class BackendFailure
{
    /// <summary>
    /// When the innermost frames of <paramref name="exception"/> run in a type implementing
    /// <see cref="IBackend"/>, describes the failure; otherwise returns false (the exception is not a
    /// backend's and is left to crash loudly).
    /// </summary>
    public static bool TryDescribe(Exception exception, out string message)
    {
        message = "";
        if (exception is EngineException or OperationCanceledException or OutOfMemoryException)
        {
            return false;
        }
        foreach (StackFrame frame in new StackTrace(exception, fNeedFileInfo: false).GetFrames())
        {
            Type? type = frame.GetMethod()?.DeclaringType;
            if (type is not null && typeof(IBackend).IsAssignableFrom(type))
            {
                string op = frame.GetMethod()!.Name;
                message = $"backend {type.Name} failed in its {op} op, which it claims to support: {exception.GetType().Name}: {exception.Message} " +
                    "(a fault of the backend plugin, not of the input; 'engine check-backend NAME' runs every op it claims)";
                return true;
            }
        }
        return false;
    }
}
