using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Scaleout;

namespace MasterMcp.Tests.Limits;

/// <summary>
/// Per-user caps on sessions and open streams (issue 13 item 11): a user at sessions.max_sessions_per_user gets 429 with
/// a JSON-RPC error naming the cap, its sessions keep working, another user opens sessions and streams normally, and
/// ending a session (DELETE, idle expiry) or closing a stream frees its slot.
/// </summary>
public sealed class UserCapTests
{
    [Fact]
    public async Task AUserAtTheSessionCap_IsRefusedWithAClearError_HisSessionsAreUntouched_AnotherUserIsServed_AndDeleteFreesASlot()
    {
        await using var bed = await LimitsBed.StartAsync(c => c["sessions"] = new JsonObject { ["max_sessions_per_user"] = 2 });
        var gateway = bed.Gateway.BaseUrl;
        var noisy = await bed.NoisyTokenAsync();
        var quiet = await bed.QuietTokenAsync();
        using var http = new HttpClient();
        var first = await LimitsBed.OpenSessionAsync(http, gateway, noisy);
        var second = await LimitsBed.OpenSessionAsync(http, gateway, noisy);

        using var refused = await http.SendAsync(LimitsBed.Initialize(gateway, noisy, id: 7));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Mcp-Session-Id"));
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(7, (int)body["id"]!);
        Assert.Contains("sessions.max_sessions_per_user = 2", (string)body["error"]!["message"]!, StringComparison.Ordinal);

        // Spelled so that a byte search or a different JSON reader would miss it, an initialize still starts no session.
        const string Params = """ "params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}""";
        foreach (var variant in new[]
        {
            """{"jsonrpc":"2.0","id":8,"method":"\u0069nitialize",""" + Params + "}",
            """{"jsonrpc":"2.0","id":8,"method":"ping","method":"initialize",""" + Params + "}",
            """{"jsonrpc":"2.0","id":8,"method":"initialize","method":"ping",""" + Params + "}",
            """[{"jsonrpc":"2.0","id":8,"method":"initialize",""" + Params + "}]",
        })
        {
            using var sneaky = await http.SendAsync(Auth.AuthTestKit.McpPost(gateway, variant, noisy));
            Assert.False(sneaky.Headers.Contains("Mcp-Session-Id"), $"{variant} started a session past the cap ({sneaky.StatusCode})");
        }

        // Another user opens sessions as usual, up to his own cap; the noisy user's sessions still answer.
        await LimitsBed.OpenSessionAsync(http, gateway, quiet);
        await LimitsBed.OpenSessionAsync(http, gateway, quiet);
        foreach (var id in new[] { first, second })
        {
            using var ping = await new RawMcpSession(http, new Uri(gateway, "/mcp"), noisy).SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 3, ["method"] = "ping" }, id);
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }

        // Ending one frees its slot.
        Assert.Equal(HttpStatusCode.OK, await LimitsBed.DeleteSessionAsync(http, gateway, noisy, first));
        await RelayScenarios.Eventually(async () =>
        {
            using var again = await http.SendAsync(LimitsBed.Initialize(gateway, noisy));
            return again.StatusCode == HttpStatusCode.OK;
        });
        using var overAgain = await http.SendAsync(LimitsBed.Initialize(gateway, noisy));
        Assert.Equal(HttpStatusCode.TooManyRequests, overAgain.StatusCode);
    }

    [Fact]
    public async Task ASessionThatIdlesOut_FreesItsSlot()
    {
        await using var bed = await LimitsBed.StartAsync(c => c["sessions"] = new JsonObject { ["max_sessions_per_user"] = 1, ["idle_timeout_seconds"] = 1 });
        var gateway = bed.Gateway.BaseUrl;
        var noisy = await bed.NoisyTokenAsync();
        using var http = new HttpClient();
        await LimitsBed.OpenSessionAsync(http, gateway, noisy);

        await RelayScenarios.Eventually(async () =>
        {
            using var again = await http.SendAsync(LimitsBed.Initialize(gateway, noisy));
            return again.StatusCode == HttpStatusCode.OK;
        });
    }

    [Fact]
    public async Task AUserAtTheStreamCap_GetsA429NamingIt_AnotherUsersStreamOpens_AndClosingAStreamFreesItsSlot()
    {
        await using var bed = await LimitsBed.StartAsync(c => c["sessions"] = new JsonObject { ["max_streams_per_user"] = 1 });
        var gateway = bed.Gateway.BaseUrl;
        var noisy = await bed.NoisyTokenAsync();
        var quiet = await bed.QuietTokenAsync();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var a = await LimitsBed.OpenSessionAsync(http, gateway, noisy);
        var b = await LimitsBed.OpenSessionAsync(http, gateway, noisy);
        var q = await LimitsBed.OpenSessionAsync(http, gateway, quiet);

        var open = await LimitsBed.OpenStreamAsync(http, gateway, noisy, a);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        using (var refused = await LimitsBed.OpenStreamAsync(http, gateway, noisy, b))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("sessions.max_streams_per_user = 1", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var other = await LimitsBed.OpenStreamAsync(http, gateway, quiet, q))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // The open stream's session still works; closing the stream frees the slot for the other session.
        using (var ping = await new RawMcpSession(http, new Uri(gateway, "/mcp"), noisy).SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 3, ["method"] = "ping" }, a))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }
        open.Dispose();
        HttpResponseMessage? reopened = null;
        await RelayScenarios.Eventually(async () =>
        {
            reopened?.Dispose();
            reopened = await LimitsBed.OpenStreamAsync(http, gateway, noisy, b);
            return reopened.StatusCode == HttpStatusCode.OK;
        });
        reopened!.Dispose();
    }
}
