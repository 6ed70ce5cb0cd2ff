namespace Engine.Core.Tests.Training;

/// <summary>
/// Tests that measure process-wide memory (resident set, total managed allocations) run alone:
/// other test classes training in parallel would otherwise count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "process-wide measurements";
}
