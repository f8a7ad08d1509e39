using System.Text.Json.Nodes;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Gateway;

/// <summary>
/// Three real backends behind one gateway — a C# SDK server over Streamable HTTP, one over legacy SSE, and
/// @modelcontextprotocol/server-everything over stdio — seen and used through one /mcp by the official C# SDK client.
/// </summary>
public sealed class AggregationTests : IAsyncLifetime
{
    private TestServerProcess _http = null!;
    private TestServerProcess _sse = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _http = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _sse = await TestServerProcess.StartAsync("SampleServer", "--name", "beta", "--legacy-sse");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(
                new JsonObject { ["id"] = "alpha", ["url"] = _http.McpUrl.ToString(), ["transport"] = "streamable_http" },
                new JsonObject { ["id"] = "beta", ["url"] = _sse.SseUrl.ToString(), ["transport"] = "sse" },
                EverythingStdio("every")),
        });
    }

    /// <summary>server-everything over stdio, run with the Node from the test tools.</summary>
    public static JsonObject EverythingStdio(string id) => new()
    {
        ["id"] = id,
        ["command"] = "node",
        ["args"] = new JsonArray(Path.Combine(RepoPaths.RequirePackage("@modelcontextprotocol/server-everything"), "dist", "index.js"), "stdio"),
        ["timeout_ms"] = 20000,
    };

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _http.DisposeAsync();
        await _sse.DisposeAsync();
    }

    [Fact]
    public async Task Client_SeesAndUsesEveryBackend_ThroughOneEndpoint_WithOriginalNamesAtTheBackend()
    {
        await using var client = await _gateway.ConnectAsync();

        var tools = (await client.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        Assert.Contains("alpha__echo", tools);
        Assert.Contains("beta__echo", tools);
        Assert.Contains("every__echo", tools);
        Assert.All(tools, name => Assert.Matches("^[A-Za-z0-9_-]{1,64}$", name));

        var resources = (await client.ListResourcesAsync()).Select(r => r.Uri).ToHashSet();
        Assert.Contains("mcp://alpha/sample://info", resources);
        Assert.Contains("mcp://beta/sample://info", resources);
        Assert.Contains(resources, r => r.StartsWith("mcp://every/", StringComparison.Ordinal));

        var templates = (await client.ListResourceTemplatesAsync()).Select(t => t.UriTemplate).ToHashSet();
        Assert.Contains("mcp://alpha/sample://items/{id}", templates);
        Assert.Contains("mcp://beta/sample://items/{id}", templates);

        var prompts = (await client.ListPromptsAsync()).Select(p => p.Name).ToHashSet();
        Assert.Contains("alpha__greeting", prompts);
        Assert.Contains("beta__greeting", prompts);
        Assert.Contains(prompts, p => p.StartsWith("every__", StringComparison.Ordinal));

        // Each C# backend echoes its own name and the original tool name it received.
        foreach (var id in new[] { "alpha", "beta" })
        {
            var echo = await client.CallToolAsync($"{id}__echo", new Dictionary<string, object?> { ["text"] = "hi" });
            Assert.Equal($"{id}/echo: hi", Text(echo));

            var info = await client.ReadResourceAsync($"mcp://{id}/sample://info");
            Assert.Equal($"info from {id}", Assert.IsType<TextResourceContents>(Assert.Single(info.Contents)).Text);
            Assert.Equal($"mcp://{id}/sample://info", info.Contents[0].Uri);

            var item = await client.ReadResourceAsync($"mcp://{id}/sample://items/42");
            Assert.Equal($"item 42 from {id}", Assert.IsType<TextResourceContents>(Assert.Single(item.Contents)).Text);

            var prompt = await client.GetPromptAsync($"{id}__greeting", new Dictionary<string, object?> { ["name"] = "Ada" });
            Assert.Contains($"Hello Ada, from {id}", Text(prompt.Messages[0].Content));

            var completion = await client.CompleteAsync(new PromptReference { Name = $"{id}__greeting" }, "name", "al");
            Assert.Equal([$"alice@{id}", $"albert@{id}"], completion.Completion.Values);
        }

        // server-everything over stdio.
        var everyEcho = await client.CallToolAsync("every__echo", new Dictionary<string, object?> { ["message"] = "ping" });
        Assert.Contains("ping", Text(everyEcho));
        var everyResource = (await client.ListResourcesAsync()).First(r => r.Uri.StartsWith("mcp://every/", StringComparison.Ordinal));
        var everyRead = await client.ReadResourceAsync(everyResource.Uri);
        Assert.NotEmpty(everyRead.Contents);
        Assert.StartsWith("mcp://every/", everyRead.Contents[0].Uri, StringComparison.Ordinal);
        var everyPrompt = (await client.ListPromptsAsync()).First(p => p.Name.StartsWith("every__", StringComparison.Ordinal) && (p.ProtocolPrompt.Arguments?.All(a => a.Required != true) ?? true));
        var everyPromptResult = await client.GetPromptAsync(everyPrompt.Name);
        Assert.NotEmpty(everyPromptResult.Messages);
        var everyTemplate = (await client.ListResourceTemplatesAsync()).First(t => t.UriTemplate.StartsWith("mcp://every/", StringComparison.Ordinal));
        var argument = System.Text.RegularExpressions.Regex.Match(everyTemplate.UriTemplate, "{([^}]+)}").Groups[1].Value;
        var everyCompletion = await client.CompleteAsync(new ResourceTemplateReference { Uri = everyTemplate.UriTemplate }, argument, "1");
        Assert.NotNull(everyCompletion.Completion);
    }

    [Fact]
    public async Task ToolErrors_StayResults_AndProtocolErrors_KeepCodeMessageAndData()
    {
        await using var client = await _gateway.ConnectAsync();
        var failed = await client.CallToolAsync("alpha__fail");
        Assert.True(failed.IsError);
        Assert.Equal("alpha/fail: this tool always fails", Text(failed));

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("alpha__protocol_error").AsTask());
        Assert.Equal(-32001, (int)error.ErrorCode);
        Assert.Contains("sample protocol error", error.Message, StringComparison.Ordinal);
        // The backend's error data ({"detail":"kept"}) reaches the client unchanged.
        Assert.Equal("kept", error.Data["detail"]?.ToString());

        var unknown = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("alpha__nope").AsTask());
        Assert.Equal(McpErrorCode.InvalidParams, unknown.ErrorCode);
        Assert.Contains("alpha__nope", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResourceLinks_InToolResults_AreRewritten_AndReadable()
    {
        await using var client = await _gateway.ConnectAsync();
        var result = await client.CallToolAsync("alpha__link");
        var link = Assert.IsType<ResourceLinkBlock>(Assert.Single(result.Content));
        Assert.Equal("mcp://alpha/sample://info", link.Uri);
        var read = await client.ReadResourceAsync(link.Uri);
        Assert.Equal("info from alpha", Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text);
    }

    internal static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    internal static string Text(ContentBlock block) => block is TextContentBlock t ? t.Text : "";
}
