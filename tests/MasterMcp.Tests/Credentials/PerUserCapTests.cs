using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Credentials;

/// <summary>Per-user caps (issue 13 item 11): one user over sessions.max_stdio_processes_per_user is refused; another user is served and nobody's process is evicted.</summary>
[Collection("azurite")]
public sealed class PerUserCapTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AUserOverThePerUserStdioCap_GetsAClearError_WhileAnotherUserIsServed_AndNoProcessIsEvicted()
    {
        var marker = "peruser-" + Guid.NewGuid().ToString("N");
        await using var bed = await CredentialsBed.StartAsync(azurite, server: _ => StdioLifecycleTests.SampleStdio("proc", marker),
            configure: c => c["sessions"] = new JsonObject { ["max_stdio_processes_per_user"] = 2, ["max_stdio_processes"] = 10 });
        var (noisy, _) = await bed.SignInAsync("noisy");
        var (quiet, _) = await bed.SignInAsync("quiet");
        var clients = new List<McpClient>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                clients.Add(await CredentialsBed.ConnectAsync(bed.A, noisy, urlElicitation: false));
                Assert.Equal($"proc/echo: n{i}", AggregationTests.Text(await clients[^1].CallToolAsync("proc__echo", new Dictionary<string, object?> { ["text"] = $"n{i}" })));
            }
            var held = ProcessTree.WithMarker(marker);

            clients.Add(await CredentialsBed.ConnectAsync(bed.A, noisy, urlElicitation: false));
            var refused = await Assert.ThrowsAsync<McpProtocolException>(() => clients[^1].CallToolAsync("proc__echo", new Dictionary<string, object?> { ["text"] = "n2" }).AsTask());
            Assert.Contains("max_stdio_processes_per_user = 2", refused.Message, StringComparison.Ordinal);

            clients.Add(await CredentialsBed.ConnectAsync(bed.A, quiet, urlElicitation: false));
            Assert.Equal("proc/echo: q", AggregationTests.Text(await clients[^1].CallToolAsync("proc__echo", new Dictionary<string, object?> { ["text"] = "q" })));

            // The noisy user's first sessions keep their processes (nothing was evicted to make room).
            Assert.Equal("proc/echo: again", AggregationTests.Text(await clients[0].CallToolAsync("proc__echo", new Dictionary<string, object?> { ["text"] = "again" })));
            Assert.All(held, pid => Assert.Contains(pid, ProcessTree.WithMarker(marker)));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
