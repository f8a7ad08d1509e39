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

    private static JsonObject Ping(int id) => new() { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "ping" };

    private static JsonObject Config(Uri publicUrl, OidcProviderProcess idp, JsonObject section, string name) => new()
    {
        ["hosting"] = new JsonObject { ["base_url"] = publicUrl.ToString().TrimEnd('/') },
        ["auth"] = new JsonObject { ["mode"] = "jwt", ["jwt"] = new JsonObject { ["issuer"] = idp.Issuer } },
        ["servers"] = new JsonArray(),
        [name] = section,
    };
}
