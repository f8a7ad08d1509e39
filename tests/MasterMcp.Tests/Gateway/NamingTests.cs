using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Gateway;

/// <summary>Collisions under an empty prefix, and long names, end to end through the gateway.</summary>
public sealed class NamingTests : IAsyncLifetime
{
    private TestServerProcess _first = null!;
    private TestServerProcess _second = null!;
    private TestServerProcess _long = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _first = await TestServerProcess.StartAsync("SampleServer", "--name", "first");
        _second = await TestServerProcess.StartAsync("SampleServer", "--name", "second");
        _long = await TestServerProcess.StartAsync("SampleServer", "--name", "long", "--long-names");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(
                new JsonObject { ["id"] = "first", ["url"] = _first.McpUrl.ToString(), ["prefix"] = "" },
                new JsonObject { ["id"] = "second", ["url"] = _second.McpUrl.ToString(), ["prefix"] = "" },
                new JsonObject { ["id"] = "long", ["url"] = _long.McpUrl.ToString() }),
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _long.DisposeAsync();
    }

    [Fact]
    public async Task SameToolUnderEmptyPrefix_SecondIsSkippedAndReported_FirstKeepsWorking()
    {
        await using var client = await _gateway.ConnectAsync();
        var tools = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.Single(tools, t => t == "echo");
        Assert.Equal(tools.Count, tools.Distinct().Count());

        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["text"] = "x" });
        Assert.Equal("first/echo: x", AggregationTests.Text(echo));

        using var http = new HttpClient();
        var capabilities = await http.GetFromJsonAsync<JsonObject>(new Uri(_gateway.BaseUrl, "/capabilities"));
        var collisions = capabilities!["collisions"]!.AsArray();
        Assert.Contains(collisions, c => c!["kind"]!.GetValue<string>() == "tool" && c["name"]!.GetValue<string>() == "echo"
            && c["kept"]!.GetValue<string>() == "first" && c["skipped"]!.GetValue<string>() == "second");
        Assert.Contains(collisions, c => c!["kind"]!.GetValue<string>() == "prompt" && c["name"]!.GetValue<string>() == "greeting");
    }

    [Fact]
    public async Task HundredCharacterNames_SharingTheirFirst64_BecomeValidDistinctNames_ThatRouteCorrectly()
    {
        await using var client = await _gateway.ConnectAsync();
        var longTools = (await client.ListToolsAsync()).Where(t => t.Description?.Contains("long-named", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, longTools.Count);
        Assert.All(longTools, t => Assert.Matches("^[A-Za-z0-9_-]{1,64}$", t.Name));
        Assert.NotEqual(longTools[0].Name, longTools[1].Name);

        var first = longTools.Single(t => t.Description!.StartsWith("First", StringComparison.Ordinal));
        var second = longTools.Single(t => t.Description!.StartsWith("Second", StringComparison.Ordinal));
        Assert.Equal("long-first", AggregationTests.Text(await client.CallToolAsync(first.Name)));
        Assert.Equal("long-second", AggregationTests.Text(await client.CallToolAsync(second.Name)));
    }
}
