namespace MasterMcp.Tests.Fixtures;

/// <summary>Tests in <c>[Collection("azurite")]</c> share one Azurite table service.</summary>
[CollectionDefinition("azurite")]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
}
