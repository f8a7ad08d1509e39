using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Auth;

/// <summary>security.rate_limits (issue 13 item 10): one noisy user is throttled with 429, Retry-After and a JSON-RPC error; another user is served.</summary>
[Collection("azurite")]
public sealed class RateLimitTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ANoisyUserOverThePerSubjectLimit_Gets429WithRetryAfterAndAJsonRpcError_WhileAnotherUserIsServed()
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString,
            c => c["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_subject_per_minute"] = 3 } });
        var gateway = bed.Gateway.BaseUrl;
        var noisy = await AuthTestKit.AccessTokenAsync(gateway, "noisy");
        var quiet = await AuthTestKit.AccessTokenAsync(gateway, "quiet");
        using var http = new HttpClient();
        for (var i = 0; i < 3; i++)
        {
            using var served = await http.SendAsync(AuthTestKit.InitializeRequest(gateway, noisy));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        using var throttled = await http.SendAsync(AuthTestKit.InitializeRequest(gateway, noisy));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.InRange(throttled.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var body = JsonNode.Parse(await throttled.Content.ReadAsStringAsync())!;
        Assert.Equal("2.0", body["jsonrpc"]!.GetValue<string>());
        Assert.Equal(-32000, body["error"]!["code"]!.GetValue<int>());
        Assert.Contains("per_subject_per_minute", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var other = await http.SendAsync(AuthTestKit.InitializeRequest(gateway, quiet));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }
}
