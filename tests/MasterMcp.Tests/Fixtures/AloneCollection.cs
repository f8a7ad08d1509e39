namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// Tests in <c>[Collection("alone")]</c> observe the whole process (e.g. every first-chance exception), so nothing else may
/// run beside them: xUnit runs this collection after the parallel ones, by itself, with its own Azurite table service.
/// </summary>
[CollectionDefinition("alone", DisableParallelization = true)]
public sealed class AloneCollection : ICollectionFixture<AzuriteFixture>
{
}
