using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Secrets;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;

namespace MasterMcp.Tests.Foundation;

/// <summary>A reload is one validated snapshot: refused whole or delivered whole (old and new) to listeners that are awaited.</summary>
public sealed class GatewayConfigMonitorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Config(string level, string header) => new JsonObject
    {
        ["logging"] = new JsonObject { ["level"] = level },
        ["servers"] = new JsonArray(new JsonObject { ["id"] = "h", ["url"] = "http://127.0.0.1:1/mcp", ["headers"] = new JsonObject { ["X-Key"] = header } }),
    }.ToJsonString();

    [Fact]
    public async Task RefusedReload_ReachesNoListener_AppliedReload_ReachesEachWithOldAndNew_AndAFailingListenerIsReported()
    {
        var file = _dir.Write("gateway.json", Config("information", "plain"));
        var env = new Dictionary<string, string> { ["MASTER_ENV"] = "Development", ["KEY_SET"] = "secret" };
        var inputs = new ConfigInputs(["--config", file, "--hosting.host=127.0.0.1"], env, RepoPaths.Root);
        Func<GatewayOptions, ISecretResolver> resolvers = o => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o), getEnvironmentVariable: name => env.GetValueOrDefault(name));
        using var monitor = new GatewayConfigMonitor(await ConfigSnapshotValidator.LoadAsync(inputs, resolvers), inputs, resolvers, NullLogger<GatewayConfigMonitor>.Instance);
        var seen = new List<ConfigChange>();
        using var recorder = monitor.Subscribe((change, _) =>
        {
            seen.Add(change);
            return Task.CompletedTask;
        });
        using var failing = monitor.Subscribe((_, _) => throw new InvalidOperationException("listener broke"));
        var first = monitor.Snapshot;

        // A secret reference that does not resolve: a rule startup checks, so the reload is refused whole.
        File.WriteAllText(file, Config("debug", "env:KEY_UNSET"));
        Assert.False(await monitor.ReloadAsync());
        Assert.Contains("servers[0].headers.X-Key", monitor.LastReloadError, StringComparison.Ordinal);
        Assert.Empty(seen);
        Assert.Same(first, monitor.Snapshot);
        Assert.Equal("information", monitor.CurrentValue.Logging.Level);

        File.WriteAllText(file, Config("debug", "env:KEY_SET"));
        Assert.True(await monitor.ReloadAsync());
        var change = Assert.Single(seen);
        Assert.Same(first, change.Previous);
        Assert.Same(monitor.Snapshot, change.Current);
        Assert.Equal("debug", change.Current.Options.Logging.Level);
        Assert.Null(monitor.LastReloadError);
        Assert.Contains("listener broke", monitor.LastApplyError, StringComparison.Ordinal);
    }
}
