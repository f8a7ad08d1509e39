using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace MasterMcp.Deploy.Tests.Worker;

/// <summary>The Cloudflare Worker under Miniflare proxies to a real local origin: exact passthrough, streaming, origin secret, caching.</summary>
public sealed class WorkerProxyTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task Post_IsPassedThrough_WithBodyQueryAndAuthorizationUntouched()
    {
        using var client = fixture.CreateClient();
        const string body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"ünïcode\":\"✓\"}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo/a/b?x=1&y=two%20words&x=3")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOi.payload.sig");
        request.Headers.Add("Mcp-Session-Id", "session-42");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        request.Headers.Add("X-Origin-Secret", "forged-by-client");

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = (await response.Content.ReadFromJsonAsync<EchoedRequest>())!;

        Assert.Equal("POST", echoed.Method);
        Assert.Equal("/echo/a/b", echoed.Path);
        Assert.Equal("?x=1&y=two%20words&x=3", echoed.Query);
        Assert.Equal(body, echoed.Body);
        Assert.Equal("Bearer eyJhbGciOi.payload.sig", echoed.Headers["Authorization"]);
        Assert.Equal("application/json; charset=utf-8", echoed.Headers["Content-Type"]);
        Assert.Equal("session-42", echoed.Headers["Mcp-Session-Id"]);
        Assert.Equal("2025-11-25", echoed.Headers["MCP-Protocol-Version"]);
        // The origin secret comes from the Worker secret; a client cannot supply its own.
        Assert.Equal(WorkerFixture.OriginSecret, echoed.Headers["X-Origin-Secret"]);
        Assert.Equal("http", echoed.Headers["X-Forwarded-Proto"]);
        Assert.Equal(fixture.WorkerUrl.Authority, echoed.Headers["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task ClientAddress_IsForwarded()
    {
        using var client = fixture.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/ip");
        request.Headers.Add("CF-Connecting-IP", "203.0.113.7");
        request.Headers.Add("X-Forwarded-For", "198.51.100.1");
        using var response = await client.SendAsync(request);
        var echoed = (await response.Content.ReadFromJsonAsync<EchoedRequest>())!;
        Assert.Equal("GET", echoed.Method);
        Assert.Equal("", echoed.Body);
        Assert.Equal("198.51.100.1, 203.0.113.7", echoed.Headers["X-Forwarded-For"]);
    }

    [Fact]
    public async Task Response_StatusHeadersAndRedirects_ArePassedThrough()
    {
        using var client = fixture.CreateClient();
        using var created = await client.DeleteAsync("/echo/session?status=202");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal("echo", created.Headers.GetValues("X-Origin-Marker").Single());
        Assert.Equal("DELETE", (await created.Content.ReadFromJsonAsync<EchoedRequest>())!.Method);

        using var redirect = await client.GetAsync("/redirect");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("https://idp.example.test/authorize?state=1", redirect.Headers.Location!.ToString());
    }

    [Fact]
    public async Task ServerSentEvents_ArriveOneByOne_WhileTheOriginIsStillSending()
    {
        const int count = 5;
        var acknowledgements = Enumerable.Range(0, count + 1).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var latencies = new List<TimeSpan>();
        var sentAt = new long[count + 1];
        // The origin writes event n+1 only after event n reached the client: a buffering proxy deadlocks here.
        fixture.Origin.WaitForAcknowledgement = async n =>
        {
            await acknowledgements[n].Task.WaitAsync(TimeSpan.FromSeconds(5));
            if (n < count)
            {
                sentAt[n + 1] = Stopwatch.GetTimestamp();
            }
        };
        try
        {
            using var client = fixture.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse?count={count}");
            request.Headers.Accept.ParseAdd("text/event-stream");
            sentAt[1] = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var n = 1; n <= count; n++)
            {
                var data = await ReadEventDataAsync(reader).WaitAsync(TimeSpan.FromSeconds(3));
                var latency = Stopwatch.GetElapsedTime(sentAt[n]);
                Assert.Equal($"{{\"n\":{n}}}", data);
                latencies.Add(latency);
                acknowledgements[n].SetResult();
            }
            Assert.Null(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(3)));
        }
        finally
        {
            fixture.Origin.WaitForAcknowledgement = null;
            foreach (var ack in acknowledgements)
            {
                ack.TrySetResult();
            }
        }
        // The first event includes connection setup; every later one must arrive within 200 ms of being written.
        Assert.All(latencies.Skip(1), l => Assert.True(l < TimeSpan.FromMilliseconds(200), $"event latencies: {string.Join(", ", latencies.Select(x => $"{x.TotalMilliseconds:F0} ms"))}"));
        Assert.True(latencies[0] < TimeSpan.FromSeconds(2), $"first event after {latencies[0].TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task WellKnownDocuments_AreCachedBriefly_OtherPathsAreNot()
    {
        using var client = fixture.CreateClient();
        var path = $"/.well-known/oauth-protected-resource/mcp-{Guid.NewGuid():N}";
        var before = fixture.Origin.WellKnownHits;

        using var first = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"public, max-age={WorkerFixture.WellKnownTtlSeconds}", first.Headers.CacheControl!.ToString());
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(before + 1, fixture.Origin.WellKnownHits);

        // The cache is filled in the background (waitUntil): allow it a moment.
        var cachedBody = "";
        for (var attempt = 0; attempt < 20 && cachedBody != firstBody; attempt++)
        {
            await Task.Delay(50);
            using var again = await client.GetAsync(path);
            cachedBody = await again.Content.ReadAsStringAsync();
        }
        Assert.Equal(firstBody, cachedBody);
        var hitsWhileCached = fixture.Origin.WellKnownHits;
        Assert.True(hitsWhileCached <= before + 2, $"origin hit {hitsWhileCached - before} times for one cached document");

        // Briefly: after the TTL the origin is asked again.
        await Task.Delay(TimeSpan.FromSeconds(WorkerFixture.WellKnownTtlSeconds + 1));
        using var expired = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, expired.StatusCode);
        Assert.Equal(hitsWhileCached + 1, fixture.Origin.WellKnownHits);

        // Anything else goes to the origin every time.
        var otherBefore = fixture.Origin.OtherHits;
        using (await client.GetAsync("/other")) { }
        using (await client.GetAsync("/other")) { }
        Assert.Equal(otherBefore + 2, fixture.Origin.OtherHits);
    }

    private static async Task<string> ReadEventDataAsync(StreamReader reader)
    {
        string? data = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0 && data is not null)
            {
                return data;
            }
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }
        throw new InvalidOperationException("The stream ended before the event was complete.");
    }
}
