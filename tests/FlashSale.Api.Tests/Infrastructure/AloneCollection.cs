namespace FlashSale.Api.Tests.Infrastructure;

/// <summary>
/// Tests that load both cores for a while (a race of thousands of purchases): they run after the others and
/// one at a time, so that a busy machine does not turn another test's purchase into a gate timeout.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
