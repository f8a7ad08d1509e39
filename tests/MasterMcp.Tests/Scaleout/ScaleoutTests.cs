using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Scaleout;

/// <summary>
/// Three instances behind a balancer without affinity, jwt auth on: a session lives on the instance that created it, and
/// every request of it, wherever it lands, is served there — by the session's own user only.
/// </summary>
public sealed class ScaleoutTests(ScaleoutAuthFixture fixture) : IClassFixture<ScaleoutAuthFixture>
{
    [Fact]
    public async Task RequestsOfOneSession_LandingOnEveryInstance_AreServedByItsOwnerOnly()
    {
        var instances = fixture.Cluster.Instances;
        var forwardedBefore = instances.Select(i => Tunnel(i).ForwardedTotal).ToArray();
        var servedBefore = instances.Select(i => Tunnel(i).ServedTotal).ToArray();
        var token = await fixture.AliceTokenAsync();
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = fixture.Cluster.McpUrl,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" });
        for (var i = 0; i < 6; i++)
        {
            var result = await client.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = "m" + i });
            Assert.Contains("m" + i, AggregationTests.Text(result), StringComparison.Ordinal);
        }

        // The id names the owner; exactly one instance holds backend sessions for it, the others only carried requests.
        var owner = client.SessionId!.Split('.')[0];
        var ownerIndex = instances.FindIndex(i => i.Services.GetRequiredService<InstanceIdentity>().Id == owner);
        Assert.True(ownerIndex >= 0, $"no instance has the id {owner} named by session {client.SessionId}");
        var forwarded = instances.Select((i, n) => Tunnel(i).ForwardedTotal - forwardedBefore[n]).ToArray();
        var served = instances.Select((i, n) => Tunnel(i).ServedTotal - servedBefore[n]).ToArray();
        Assert.Equal(0, forwarded[ownerIndex]);
        Assert.True(forwarded.Sum() >= 4, $"round robin over 3 instances should have sent most of the 6 calls elsewhere; forwarded: {string.Join(",", forwarded)}");
        Assert.Equal(forwarded.Sum(), served[ownerIndex]);
        for (var n = 0; n < instances.Count; n++)
        {
            var downstream = instances[n].Services.GetRequiredService<BackendRegistry>().DownstreamSessions.Count(s => client.SessionId.Contains(s.SessionId!, StringComparison.Ordinal));
            Assert.Equal(n == ownerIndex ? 1 : 0, downstream);
        }
    }

    [Fact]
    public async Task ElicitationAnswer_FromAnotherUser_IsRefused_AndFromAnotherSession_DoesNotReachTheCall()
    {
        using var http = new HttpClient();
        var alice = await fixture.AliceTokenAsync();
        var asking = new RawMcpSession(http, fixture.Cluster.McpUrl, alice);
        await asking.InitializeAsync(new JsonObject { ["elicitation"] = new JsonObject() });
        var other = new RawMcpSession(http, fixture.Cluster.McpUrl, alice);
        await other.InitializeAsync(new JsonObject { ["elicitation"] = new JsonObject() });

        using var call = await asking.SendAsync(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = 7,
            ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = "sample__ask", ["arguments"] = new JsonObject { ["question"] = "who are you?" } },
        });
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        var reader = new StreamReader(await call.Content.ReadAsStreamAsync());
        var elicitation = await NextMessageAsync(reader);
        Assert.Equal("elicitation/create", elicitation["method"]!.GetValue<string>());
        var requestId = elicitation["id"]!.DeepClone();
        JsonObject Answer(string text) => new()
        {
            ["jsonrpc"] = "2.0",
            ["id"] = requestId.DeepClone(),
            ["result"] = new JsonObject { ["action"] = "accept", ["content"] = new JsonObject { ["answer"] = text } },
        };

        // Another user presenting the asking session's id: the session does not exist for them.
        var mallory = await fixture.MalloryTokenAsync();
        using (var forged = await asking.SendAsync(Answer("from mallory"), bearer: mallory))
        {
            Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        }
        // The same user from another session: that session has no such request pending; the call is not answered by it.
        using (var crossed = await other.SendAsync(Answer("from the other session")))
        {
            Assert.True((int)crossed.StatusCode < 500, $"got {crossed.StatusCode}");
        }
        // The right answer still completes the call, with its own content.
        using (var right = await asking.SendAsync(Answer("from alice")))
        {
            Assert.Equal(HttpStatusCode.Accepted, right.StatusCode);
        }
        var result = await NextMessageAsync(reader);
        Assert.Equal(7, result["id"]!.GetValue<int>());
        Assert.Equal("accept:from alice", result["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task SessionId_AlteredOrMadeUp_Is404_OnEveryInstance()
    {
        using var http = new HttpClient();
        var session = new RawMcpSession(http, fixture.Cluster.McpUrl, await fixture.AliceTokenAsync());
        await session.InitializeAsync();
        var parts = session.SessionId.Split('.');
        Assert.Equal(3, parts.Length);
        var forgedOwner = string.Join('.', "000000000000", parts[1], parts[2]);
        var forgedMac = string.Join('.', parts[0], parts[1], new string('A', parts[2].Length));
        foreach (var id in new[] { forgedOwner, forgedMac, parts[1], "not-a-session" })
        {
            // Three tries: the balancer takes each to the next instance.
            for (var i = 0; i < 3; i++)
            {
                using var response = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "ping" }, id);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }
        // Every answer names the session as the client knows it (clients such as the TypeScript SDK adopt the id of each
        // response), whichever instance the request reached.
        for (var i = 0; i < 3; i++)
        {
            using var genuine = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "ping" });
            Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
            Assert.Equal(session.SessionId, genuine.Headers.GetValues("Mcp-Session-Id").Single());
        }
    }

    private static SessionTunnel Tunnel(Fixtures.GatewayInstance instance) => instance.Services.GetRequiredService<SessionTunnel>();

    private static async Task<JsonObject> NextMessageAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && line[5..].Trim().Length > 0 && System.Text.Json.Nodes.JsonNode.Parse(line[5..]) is JsonObject message)
            {
                return message;
            }
        }
        throw new InvalidOperationException("the stream ended");
    }
}
