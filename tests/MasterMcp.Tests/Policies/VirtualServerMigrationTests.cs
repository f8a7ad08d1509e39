using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;

namespace MasterMcp.Tests.Policies;

/// <summary>Without Redis a session continues on another instance from Table Storage — only at the virtual server it was opened on.</summary>
[Collection("azurite")]
public sealed class VirtualServerMigrationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SessionRebuiltFromStorage_OnlyAtItsOwnVirtualServer()
    {
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var config = new JsonObject
        {
            ["storage"] = new JsonObject { ["table_prefix"] = "t" + Guid.NewGuid().ToString("N")[..12] },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = backend.McpUrl.ToString() }),
            ["virtual_servers"] = new JsonArray(new JsonObject { ["name"] = "dev", ["include"] = new JsonArray("alpha__echo") }),
        };
        await using var first = await GatewayInstance.StartAsync((JsonObject)config.DeepClone(), azurite.ConnectionString);
        await using var second = await GatewayInstance.StartAsync((JsonObject)config.DeepClone(), azurite.ConnectionString);
        using var http = new HttpClient();
        var session = new RawMcpSession(http, new Uri(first.BaseUrl, "/mcp/dev"), null);
        await session.InitializeAsync();
        var list = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/list" };

        using (var atMcp = await session.SendAsync((JsonObject)list.DeepClone(), url: second.McpUrl))
        {
            Assert.Equal(HttpStatusCode.NotFound, atMcp.StatusCode);
        }
        using var atDev = await session.SendAsync((JsonObject)list.DeepClone(), url: new Uri(second.BaseUrl, "/mcp/dev"));
        Assert.Equal(HttpStatusCode.OK, atDev.StatusCode);
        var answer = await RawMcpSession.AnswerTextAsync(atDev);
        Assert.Contains("alpha__echo", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("alpha__add", answer, StringComparison.Ordinal);
    }
}
