using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Credentials;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Limits;

/// <summary>
/// With scaleout.redis the limits hold for the deployment, not per instance (issue 13 items 10, 11): two real gateway
/// instances sharing a real Redis, requests sent to each instance directly.
/// </summary>
public sealed class SharedLimitsTests
{
    [Fact]
    public async Task RateLimits_CountAcrossInstances_ForwardedRequestsCountOnce_AndWithRedisDownEachInstanceStillLimits()
    {
        var logs = new LogCapture();
        await using var idp = await OidcProviderProcess.StartAsync();
        await using var cluster = await GatewayCluster.StartAsync(publicUrl => Config(publicUrl, idp, new JsonObject
        {
            ["rate_limits"] = new JsonObject { ["per_subject_per_minute"] = 5 },
        }, "security"), count: 2, configureServices: (_, services) => services.AddSingleton<ILoggerProvider>(logs));
        var (a, b) = (cluster.Instances[0].BaseUrl, cluster.Instances[1].BaseUrl);
        var resource = cluster.McpUrl.ToString();
        var alice = await idp.ClientCredentialsTokenAsync(resource, "mcp");
        var bob = await idp.ClientCredentialsTokenAsync(resource, "mcp", "m2m-b", "m2m-b-secret");
        using var http = new HttpClient();

        // Five requests of one user over both instances, three of them carried from b to the session's owner a: all served.
        var session = new RawMcpSession(http, new Uri(a, "/mcp"), alice);
        await session.InitializeAsync();
        var onB = new RawMcpSession(http, new Uri(b, "/mcp"), alice);
        using (var ping = await onB.SendAsync(Ping(2), session.SessionId))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }
        using (var ping = await session.SendAsync(Ping(3)))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }
        using (var ping = await onB.SendAsync(Ping(4), session.SessionId))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }

        // The sixth, on the other instance, is over the limit of five.
        using (var sixth = await http.SendAsync(LimitsBed.Initialize(b, alice, id: 6)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
            RequestRateLimitTests.AssertSaneRetryAfter(sixth);
            Assert.Equal(6, (int)JsonNode.Parse(await sixth.Content.ReadAsStringAsync())!["id"]!);
        }
        using (var again = await http.SendAsync(LimitsBed.Initialize(a, alice)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        }
        foreach (var instance in new[] { a, b })
        {
            using var other = await http.SendAsync(LimitsBed.Initialize(instance, bob));
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // Redis goes away: each instance counts by itself (and says so once), so a limit still holds.
        await cluster.Redis.DisposeAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var response = await http.SendAsync(LimitsBed.Initialize(a, bob));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Single(logs.Entries, e => e.Contains("Rate limits: Redis is unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionAndStreamCaps_CountAcrossInstances_AnotherUserIsServed_AndDeleteOnAnyInstanceFreesTheSlot()
    {
        await using var idp = await OidcProviderProcess.StartAsync();
        await using var cluster = await GatewayCluster.StartAsync(publicUrl => Config(publicUrl, idp, new JsonObject
        {
            ["max_sessions_per_user"] = 2,
            ["max_streams_per_user"] = 1,
        }, "sessions"), count: 2);
        var (a, b) = (cluster.Instances[0].BaseUrl, cluster.Instances[1].BaseUrl);
        var resource = cluster.McpUrl.ToString();
        var alice = await idp.ClientCredentialsTokenAsync(resource, "mcp");
        var bob = await idp.ClientCredentialsTokenAsync(resource, "mcp", "m2m-b", "m2m-b-secret");
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

        // One session on each instance: the third is refused on either, though each instance holds only one.
        var onA = await LimitsBed.OpenSessionAsync(http, a, alice);
        var onB = await LimitsBed.OpenSessionAsync(http, b, alice);
        using (var third = await http.SendAsync(LimitsBed.Initialize(a, alice)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Contains("sessions.max_sessions_per_user = 2", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var bobs = await LimitsBed.OpenSessionAsync(http, a, bob);

        // A stream of alice's session on a, opened through b (carried to a): her second stream, on b, is refused.
        var stream = await LimitsBed.OpenStreamAsync(http, b, alice, onA);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using (var second = await LimitsBed.OpenStreamAsync(http, b, alice, onB))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Contains("sessions.max_streams_per_user = 1", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var bobsStream = await LimitsBed.OpenStreamAsync(http, b, bob, bobs))
        {
            Assert.Equal(HttpStatusCode.OK, bobsStream.StatusCode);
        }
        stream.Dispose();

        // Ending the session on a through b frees its slot for a new session on b.
        Assert.Equal(HttpStatusCode.OK, await LimitsBed.DeleteSessionAsync(http, b, alice, onA));
        await RelayScenarios.Eventually(async () =>
        {
            using var again = await http.SendAsync(LimitsBed.Initialize(b, alice));
            return again.StatusCode == HttpStatusCode.OK;
        });
    }

    [Fact]
    public async Task SubjectAndClientLimits_AreCountedInOneRedisRoundTripPerRequest_AcrossInstances()
    {
        await using var idp = await OidcProviderProcess.StartAsync();
        await using var cluster = await GatewayCluster.StartAsync(publicUrl => Config(publicUrl, idp, new JsonObject
        {
            ["rate_limits"] = new JsonObject { ["per_subject_per_minute"] = 6, ["per_client_per_minute"] = 100 },
        }, "security"), count: 2);
        var (a, b) = (cluster.Instances[0].BaseUrl, cluster.Instances[1].BaseUrl);
        var alice = await idp.ClientCredentialsTokenAsync(cluster.McpUrl.ToString(), "mcp");
        using var http = new HttpClient();
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString + ",allowAdmin=true");

        // A ping outside any session: counted by the limiter (after authentication), refused by the SDK, holds no slot.
        async Task<HttpStatusCode> PingAsync(Uri instance)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(instance, "/mcp")) { Content = new StringContent(Ping(1).ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", alice);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        // Warm-up (the client library loads the script into Redis on first use), one per instance.
        Assert.NotEqual(HttpStatusCode.TooManyRequests, await PingAsync(a));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, await PingAsync(b));
        var before = await CommandStatsAsync(redis);
        for (var i = 0; i < 4; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, await PingAsync(i % 2 == 0 ? a : b));
        }
        var after = await CommandStatsAsync(redis);

        // Four requests, two partitions each: eight counts, in four script runs (it was eight, one per partition).
        Assert.Equal(4, Delta(before, after, "eval") + Delta(before, after, "evalsha"));
        Assert.Equal(8, Delta(before, after, "incr"));

        // The limit of six holds across both instances.
        Assert.Equal(HttpStatusCode.TooManyRequests, await PingAsync(a));
        Assert.Equal(HttpStatusCode.TooManyRequests, await PingAsync(b));
    }

    private static async Task<Dictionary<string, long>> CommandStatsAsync(StackExchange.Redis.ConnectionMultiplexer redis)
    {
        var info = (string)(await redis.GetDatabase().ExecuteAsync("INFO", "commandstats"))!;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            // cmdstat_evalsha:calls=12,usec=...
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(":calls=", StringComparison.Ordinal) is var at and > 0)
            {
                var end = line.IndexOf(',', at);
                calls[line["cmdstat_".Length..at]] = long.Parse(line[(at + ":calls=".Length)..end], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return calls;
    }

    private static long Delta(Dictionary<string, long> before, Dictionary<string, long> after, string command) =>
        after.GetValueOrDefault(command) - before.GetValueOrDefault(command);

    private static JsonObject Ping(int id) => new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "ping" };

    private static JsonObject Config(Uri publicUrl, OidcProviderProcess idp, JsonObject section, string name) => new()
    {
        ["hosting"] = new JsonObject { ["base_url"] = publicUrl.ToString().TrimEnd('/') },
        ["auth"] = new JsonObject { ["mode"] = "jwt", ["jwt"] = new JsonObject { ["issuer"] = idp.Issuer } },
        ["servers"] = new JsonArray(),
        [name] = section,
    };
}
