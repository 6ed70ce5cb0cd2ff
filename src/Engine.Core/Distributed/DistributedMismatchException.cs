namespace Engine.Core.Distributed;

/// <summary>
/// A distributed run's configuration is refused, and every rank reached the same verdict at the same
/// point (a hash comparison, a batch that does not split across the ranks, a checkpoint of another
/// rank count): the ranks can stop together without aborting the job, and one of them reports it.
/// </summary>
public sealed class DistributedMismatchException : ConfigurationException
{
    /// <summary>Creates the error with its message.</summary>
    public DistributedMismatchException(string message) : base(message) { }
}
