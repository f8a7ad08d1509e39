using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Gateway;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Scaleout;

/// <summary>
/// A thousand sessions opened through three instances and left to idle out: every per-session structure on every
/// instance returns to zero, and the managed heap returns to where it was. The heap is the test process's, so the test
/// runs alone: another test's gateway starting or ending beside it would move the figure it compares.
/// </summary>
[Collection("alone")]
public sealed class IdleSessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThousandSessions_LeftToIdleOut_LeaveNothingBehindOnAnyInstance_AndTheHeapReturns()
    {
        await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        await using var cluster = await GatewayCluster.StartAsync(new JsonObject
        {
            ["sessions"] = new JsonObject { ["idle_timeout_seconds"] = 2 },
            // The instances run in the test process, whose console output the test host keeps: log lines would count as heap.
            ["logging"] = new JsonObject { ["level"] = "warning" },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = sample.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" }),
        });
        using var http = new HttpClient();

        // Warm up every path once, let it idle out, then measure.
        await OpenSessionsAsync(http, cluster, 60);
        await WaitForNothingLeftAsync(cluster, TimeSpan.FromSeconds(60));
        var before = Heap();

        var peak = 0;
        using (var sampling = new CancellationTokenSource())
        {
            var watch = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, cluster.Instances.Sum(i => i.Services.GetRequiredService<DownstreamSessions>().Count));
                    await Task.Delay(100);
                }
            });
            await OpenSessionsAsync(http, cluster, 1000);
            await sampling.CancelAsync();
            await watch;
        }
        output.WriteLine($"peak sessions held across instances: {peak}");
        Assert.True(peak >= 100, $"sessions should have been held while they were used (peak {peak})");

        await WaitForNothingLeftAsync(cluster, TimeSpan.FromSeconds(90));
        // Idle HTTP connections of the ended backend sessions leave the pool after 15 s; give the heap that long to settle
        // (each probe forces a full GC, hence one a second).
        var after = await Wait.For(() => Task.FromResult(Heap()), heap => heap <= before * 1.10,
            $"the managed heap back within 10 % of its {before} bytes before", TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(1));
        output.WriteLine($"managed heap after a forced GC: before {before / 1024 / 1024.0:0.0} MiB, after {after / 1024 / 1024.0:0.0} MiB ({100.0 * (after - before) / before:+0.0;-0.0}%)");
    }

    /// <summary>Opens sessions that each list tools and call one (so each gets its own backend session and listings), 8 at a time.</summary>
    private static async Task OpenSessionsAsync(HttpClient http, GatewayCluster cluster, int count)
    {
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var session = new RawMcpSession(http, cluster.McpUrl, token: null);
                await session.InitializeAsync(new JsonObject { ["elicitation"] = new JsonObject() });
                using (var list = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/list" }))
                {
                    await RawMcpSession.ReadUntilAsync(list, m => m["id"] is not null);
                }
                using var call = await session.SendAsync(new JsonObject
                {
                    ["jsonrpc"] = "2.0",
                    ["id"] = 3,
                    ["method"] = "tools/call",
                    ["params"] = new JsonObject { ["name"] = "sample__echo", ["arguments"] = new JsonObject { ["text"] = "s" + i } },
                });
                var answer = await RawMcpSession.ReadUntilAsync(call, m => m["id"] is not null);
                Assert.Contains("s" + i, answer.ToJsonString(), StringComparison.Ordinal);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private static async Task WaitForNothingLeftAsync(GatewayCluster cluster, TimeSpan limit) =>
        await Wait.For(
            () => Task.FromResult(string.Join(" | ", cluster.Instances.Select(Counts).Select(c => string.Join(", ", c.Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"))).Where(c => c.Length > 0))),
            left => left.Length == 0,
            "no per-session state left after idle expiry",
            limit,
            TimeSpan.FromMilliseconds(250));

    /// <summary>Every structure on one instance that holds something per client session.</summary>
    private static Dictionary<string, long> Counts(GatewayInstance instance)
    {
        var services = instance.Services;
        var tunnel = services.GetRequiredService<SessionTunnel>();
        return new Dictionary<string, long>
        {
            ["sessions"] = services.GetRequiredService<DownstreamSessions>().Count,
            ["backend sessions"] = services.GetRequiredService<BackendRegistry>().PerClientSessionCount,
            ["session listings"] = services.GetRequiredService<Catalog>().SessionOwnerCount,
            ["forwarding"] = tunnel.ForwardingCount,
            ["serving"] = tunnel.ServingCount,
            ["progress tokens"] = services.GetRequiredService<ProgressRelay>().Count,
            ["pending 2026 calls"] = services.GetRequiredService<MrtrBridge>().PendingCount,
        };
    }

    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
