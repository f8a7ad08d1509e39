using MasterMcp.Storage;

namespace MasterMcp.Tests.Storage;

public sealed class EntityLayoutTests
{
    [Fact]
    public void Create_SplitsLongJson_WithoutBreakingSurrogatePairs()
    {
        // System.Text.Json escapes non-BMP characters, but a custom encoder may not: put a pair across the first chunk boundary.
        var json = new string('x', EntityLayout.MaxChunkChars - 1) + "🔑" + new string('y', 70_000);

        var entity = EntityLayout.Create("p", "r", "p", "r", json, null);

        Assert.Equal(4, entity.GetInt32(EntityLayout.DataChunks));
        Assert.False(char.IsHighSurrogate(entity.GetString("Data0")![^1]));
        Assert.Equal(json, EntityLayout.ReadData(entity));
        Assert.Null(entity.GetString(EntityLayout.Data));
    }

    [Fact]
    public void Create_KeepsShortJsonInOneProperty()
    {
        var entity = EntityLayout.Create("p", "r", "p", "r", "{\"a\":1}", null);

        Assert.Equal("{\"a\":1}", entity.GetString(EntityLayout.Data));
        Assert.Null(entity.GetInt32(EntityLayout.DataChunks));
        Assert.Equal("{\"a\":1}", EntityLayout.ReadData(entity));
    }
}
