using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Gateway;

/// <summary>stdio backends: started with args and environment, restarted after a crash, and gone with the gateway.</summary>
public sealed class StdioLifecycleTests
{
    /// <summary>SampleServer over stdio, its processes findable by <paramref name="marker"/>; it answers as <paramref name="name"/> (default: the id).</summary>
    internal static JsonObject SampleStdio(string id, string marker, string session = "per_client", string? name = null) => new()
    {
        ["id"] = id,
        ["command"] = "dotnet",
        ["args"] = new JsonArray(TestServerProcess.AssemblyOf("SampleServer"), "--stdio", "--name", name ?? id),
        ["config"] = new JsonObject { ["environment"] = new JsonObject { ["TEST_MARKER"] = marker } },
        ["session"] = session,
        ["health_check_seconds"] = 1,
        ["timeout_ms"] = 15000,
    };

    [Fact]
    public async Task CrashedStdioBackend_IsRestarted_AndServedAgain()
    {
        var marker = "crash-" + Guid.NewGuid().ToString("N");
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject { ["servers"] = new JsonArray(SampleStdio("crashy", marker, "shared")) });
        await using var client = await gateway.ConnectAsync();
        Assert.Equal("crashy/echo: one", AggregationTests.Text(await client.CallToolAsync("crashy__echo", new Dictionary<string, object?> { ["text"] = "one" })));

        var before = Assert.Single(ProcessTree.WithMarker(marker));
        using (var victim = System.Diagnostics.Process.GetProcessById(before))
        {
            victim.Kill();
        }

        var after = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), pids => pids.Count == 1 && pids[0] != before);
        Assert.NotEqual(before, after[0]);
        var echo = await Wait.For(async () =>
        {
            try
            {
                return AggregationTests.Text(await client.CallToolAsync("crashy__echo", new Dictionary<string, object?> { ["text"] = "two" }));
            }
            catch (McpProtocolException)
            {
                return "";
            }
        }, t => t.Length > 0);
        Assert.Equal("crashy/echo: two", echo);
    }

    [Fact]
    public async Task AfterSigterm_NoDescendantProcessRemains()
    {
        var marker = "tree-" + Guid.NewGuid().ToString("N");
        var everything = AggregationTests.EverythingStdio("every");
        everything["config"] = new JsonObject { ["environment"] = new JsonObject { ["TEST_MARKER"] = marker } };
        using var dir = new TempDirectory();
        var config = dir.Write("gateway.json", new JsonObject
        {
            ["storage"] = new JsonObject { ["provider"] = "memory" },
            ["servers"] = new JsonArray(SampleStdio("dotnetstdio", marker), everything),
        }.ToJsonString());
        var baseUrl = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var gateway = GatewayProcess.Start(["--config", config, "--hosting.host=127.0.0.1", $"--hosting.port={baseUrl.Port}"],
            new Dictionary<string, string?> { ["MASTER_ENV"] = "Development", ["LOG_FORMAT"] = "plain" });
        await gateway.WaitUntilHealthyAsync(baseUrl);

        // A client with a session (2025-11-25 initializes one) makes the gateway start per-client processes too.
        await using (var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(baseUrl, "/mcp") }), new McpClientOptions { ProtocolVersion = "2025-11-25" }))
        {
            Assert.Equal("dotnetstdio/echo: x", AggregationTests.Text(await client.CallToolAsync("dotnetstdio__echo", new Dictionary<string, object?> { ["text"] = "x" })));
            await client.CallToolAsync("every__echo", new Dictionary<string, object?> { ["message"] = "x" });

            var descendants = ProcessTree.Descendants(gateway.Id);
            var marked = ProcessTree.WithMarker(marker);
            Assert.True(marked.Count >= 3, $"expected shared and per-client backend processes, found {marked.Count}");
            Assert.All(marked, pid => Assert.Contains(pid, descendants));

            await gateway.SendSigtermAsync();
            await gateway.WaitForExitAsync(TimeSpan.FromSeconds(40));
            Assert.Equal(0, gateway.ExitCode);

            await Wait.For(() => Task.FromResult(descendants.Where(ProcessTree.IsAlive).ToList()), alive => alive.Count == 0);
            Assert.Empty(ProcessTree.WithMarker(marker));
        }
    }

    [Fact]
    public async Task StdioProcesses_EndWithTheirSession_WithRemovalFromConfig_AndAtTheProcessCap()
    {
        var marker = "life-" + Guid.NewGuid().ToString("N");
        var config = new JsonObject
        {
            ["sessions"] = new JsonObject { ["max_stdio_processes"] = 2 },
            ["servers"] = new JsonArray(SampleStdio("life", marker)),
        };
        await using var gateway = await GatewayInstance.StartAsync(config);
        var legacy = new McpClientOptions { ProtocolVersion = "2025-11-25" };

        // The shared (catalog) process, started by the first listing, plus one per client session.
        var first = await gateway.ConnectAsync(legacy);
        await first.ListToolsAsync();
        var sharedPid = Assert.Single(await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), p => p.Count == 1));
        await first.CallToolAsync("life__echo", new Dictionary<string, object?> { ["text"] = "a" });
        var withFirst = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), p => p.Count == 2);
        var firstPid = Assert.Single(withFirst, pid => pid != sharedPid);

        // A second session's process fits (cap 2 per-client processes); then the first session is used again.
        await using var second = await gateway.ConnectAsync(legacy);
        await second.CallToolAsync("life__echo", new Dictionary<string, object?> { ["text"] = "b" });
        var withSecond = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), p => p.Count == 3);
        var secondPid = Assert.Single(withSecond, pid => pid != sharedPid && pid != firstPid);
        await first.CallToolAsync("life__echo", new Dictionary<string, object?> { ["text"] = "a again" });

        // A third session's process pushes out the least recently used one: the second session's, not the first's.
        await using var third = await gateway.ConnectAsync(legacy);
        await third.CallToolAsync("life__echo", new Dictionary<string, object?> { ["text"] = "c" });
        var withThird = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), p => p.Count == 3 && !p.Contains(secondPid));
        Assert.Contains(sharedPid, withThird);
        Assert.Contains(firstPid, withThird);

        // Ending a session (DELETE) ends its process.
        await first.DisposeAsync();
        await second.DisposeAsync();
        await third.DisposeAsync();
        var afterSessions = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), p => p.Count == 1);

        // Removing the server from the config ends the shared process too.
        await gateway.WriteConfigAsync(new JsonObject { ["servers"] = new JsonArray() });
        await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(marker)), p => p.Count == 0);
        Assert.Single(afterSessions);
    }
}
