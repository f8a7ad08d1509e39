using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Limits;

/// <summary>
/// security.rate_limits on one instance (issue 13 item 10): per subject, per client id and per source address; a noisy
/// caller is throttled with 429, a sane Retry-After and (on /mcp) a JSON-RPC error for its own request id naming the kind
/// of partition only, while another caller is served.
/// </summary>
public sealed class RequestRateLimitTests
{
    private const string OriginSecret = "edge-origin-secret";

    [Fact]
    public async Task PerSubject_ANoisyUserIsThrottled_WithRetryAfterAndAJsonRpcErrorForItsRequestId_WhileAnotherUserIsServed()
    {
        await using var bed = await LimitsBed.StartAsync(c => c["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_subject_per_minute"] = 3 } });
        var gateway = bed.Gateway.BaseUrl;
        var noisy = await bed.NoisyTokenAsync();
        var quiet = await bed.QuietTokenAsync();
        using var http = new HttpClient();
        for (var i = 1; i <= 3; i++)
        {
            using var served = await http.SendAsync(LimitsBed.Initialize(gateway, noisy, id: i));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        using var throttled = await http.SendAsync(LimitsBed.Initialize(gateway, noisy, id: 42));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        AssertSaneRetryAfter(throttled);
        var text = await throttled.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text)!;
        Assert.Equal("2.0", (string?)body["jsonrpc"]);
        Assert.Equal(42, (int)body["id"]!);
        Assert.Equal(-32000, (int)body["error"]!["code"]!);
        Assert.Contains("Rate limited", (string)body["error"]!["message"]!, StringComparison.Ordinal);
        Assert.Contains("per_subject_per_minute", (string)body["error"]!["message"]!, StringComparison.Ordinal);
        Assert.Equal("subject", (string?)body["error"]!["data"]!["partition"]);
        // The kind of partition, never its value: neither the subject nor the address.
        Assert.DoesNotContain("m2m", text, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);

        using var other = await http.SendAsync(LimitsBed.Initialize(gateway, quiet));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task PerClientId_CountsTheTokensClient_AuthorizeQuery_AndBasicClientAuthentication_WhileAnotherClientIsServed()
    {
        await using var bed = await LimitsBed.StartAsync(c => c["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_client_per_minute"] = 3 } });
        var gateway = bed.Gateway.BaseUrl;
        var noisy = await bed.NoisyTokenAsync();
        var quiet = await bed.QuietTokenAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        // Two requests to /mcp with a token of client m2m, one to /authorize naming m2m: three for that client.
        for (var i = 0; i < 2; i++)
        {
            using var served = await http.SendAsync(LimitsBed.Initialize(gateway, noisy));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        using (var authorize = await http.GetAsync(new Uri(gateway, "/authorize?client_id=m2m&response_type=code")))
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, authorize.StatusCode);
        }

        // The fourth, at /token with HTTP Basic client authentication as m2m: refused as an OAuth error.
        using var token = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        token.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("m2m:anything")));
        using var throttled = await http.SendAsync(token);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        AssertSaneRetryAfter(throttled);
        var body = JsonNode.Parse(await throttled.Content.ReadAsStringAsync())!;
        Assert.Equal("too_many_requests", (string?)body["error"]);
        Assert.Contains("per_client_per_minute", (string?)body["error_description"], StringComparison.Ordinal);

        // /mcp for client m2m is throttled too; client m2m-b is served, at /mcp and at /token.
        using (var again = await http.SendAsync(LimitsBed.Initialize(gateway, noisy)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
            Assert.Equal("client", (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["error"]!["data"]!["partition"]);
        }
        using (var other = await http.SendAsync(LimitsBed.Initialize(gateway, quiet)))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }
        // A GET with a form body is answered; its body is not read for a client_id (that would block a thread on a sync read).
        using (var getWithForm = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway, "/authorize?response_type=code"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = "m2m-b" }),
        })
        using (var answered = await http.SendAsync(getWithForm))
        {
            Assert.InRange((int)answered.StatusCode, 200, 499);
        }
        using var otherToken = await http.PostAsync(new Uri(gateway, "/token"), new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "m2m-b" }));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, otherToken.StatusCode);
    }

    [Fact]
    public async Task PerAddress_WithTheOriginSecret_CountsTheForwardedClientAddress_IPv6By64_AndIgnoresTheClientsOwnForwardedEntries()
    {
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["security"] = new JsonObject { ["origin_secret"] = OriginSecret, ["rate_limits"] = new JsonObject { ["per_address_per_minute"] = 3 } },
        });
        using var http = new HttpClient();
        async Task<HttpStatusCode> From(IDictionary<string, string> headers)
        {
            headers["X-Origin-Secret"] = OriginSecret;
            using var response = await http.SendAsync(LimitsBed.Initialize(gateway.BaseUrl, null, headers: headers));
            return response.StatusCode;
        }

        // Three from one client behind the proxy, as Cloudflare and the Functions front end write it.
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "203.0.113.7" }));
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.7" }));
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["X-Forwarded-For"] = "198.51.100.1, 203.0.113.7:51234" }));
        // The fourth is refused, also when written as an IPv4-mapped IPv6 address.
        Assert.Equal(HttpStatusCode.TooManyRequests, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "::ffff:203.0.113.7" }));

        // Another client behind the same proxy (same connection address) is served; so is one that put the throttled
        // address first in its own X-Forwarded-For (the proxy appends the real one last).
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "203.0.113.8" }));
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.7, 198.51.100.20" }));

        // IPv6 counts by /64: rotating the interface id does not escape, another /64 is someone else.
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "2001:db8:1:2::1" }));
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "2001:db8:1:2::2" }));
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["X-Forwarded-For"] = "[2001:db8:1:2:0:0:0:3]:443" }));
        Assert.Equal(HttpStatusCode.TooManyRequests, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "2001:0db8:0001:0002:ffff:ffff:ffff:ffff" }));
        Assert.Equal(HttpStatusCode.OK, await From(new Dictionary<string, string> { ["CF-Connecting-IP"] = "2001:db8:1:3::1" }));
    }

    [Fact]
    public async Task PerAddress_WithoutTheOriginSecret_SpoofedForwardingHeadersDoNotChangeThePartition()
    {
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_address_per_minute"] = 3 } },
        });
        using var http = new HttpClient();
        var spoofs = new[] { "203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4" };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < spoofs.Length; i++)
        {
            var headers = new Dictionary<string, string> { ["CF-Connecting-IP"] = spoofs[i], ["X-Forwarded-For"] = spoofs[i], ["X-Origin-Secret"] = "guess" };
            using var response = await http.SendAsync(LimitsBed.Initialize(gateway.BaseUrl, null, id: i, headers: headers));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.Equal(i, (int)body["id"]!);
                Assert.Equal("address", (string?)body["error"]!["data"]!["partition"]);
                AssertSaneRetryAfter(response);
            }
        }

        // All four came from 127.0.0.1, whatever they claimed.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task PerAddress_BadTokensCountToo_SoAFloodOfThemIsThrottledBeforeAuthentication()
    {
        await using var bed = await LimitsBed.StartAsync(c => c["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_address_per_minute"] = 3 } });
        using var http = new HttpClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.SendAsync(LimitsBed.Initialize(bed.Gateway.BaseUrl, "not-a-token-" + i));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task ManyClientIds_FromOneAddress_AreCaughtByTheAddressLimit()
    {
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_client_per_minute"] = 2, ["per_address_per_minute"] = 5 } },
        });
        using var http = new HttpClient();
        var statuses = new List<HttpStatusCode>();
        JsonNode? last = null;
        for (var i = 0; i < 6; i++)
        {
            using var response = await http.PostAsync(new Uri(gateway.BaseUrl, "/token"),
                new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "rotating-" + i }));
            statuses.Add(response.StatusCode == HttpStatusCode.TooManyRequests ? response.StatusCode : HttpStatusCode.OK);
            last = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.Contains("per_address_per_minute", (string?)last!["error_description"], StringComparison.Ordinal);
    }

    internal static void AssertSaneRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        // Within the one-minute window, at least a second, whole seconds.
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(0, retryAfter.Value.Milliseconds);
    }
}
