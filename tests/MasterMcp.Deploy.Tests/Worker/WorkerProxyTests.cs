using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MasterMcp.Tests.Fixtures;

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
        // The origin writes event n+1 only after event n reached the client: a buffering proxy deadlocks here, so the
        // lockstep itself is the proof and nothing is timed (the waits below only bound a broken run).
        fixture.Origin.WaitForAcknowledgement = n => acknowledgements[n].Task.WaitAsync(Wait.DefaultPatience);
        try
        {
            using var client = fixture.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse?count={count}");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var n = 1; n <= count; n++)
            {
                var data = await ReadEventDataAsync(reader).WaitAsync(Wait.DefaultPatience);
                Assert.Equal($"{{\"n\":{n}}}", data);
                // Event n+1 does not exist yet: the origin is still waiting for this acknowledgement.
                Assert.False(acknowledgements[n].Task.IsCompleted);
                acknowledgements[n].SetResult();
            }
            Assert.Null(await reader.ReadLineAsync().WaitAsync(Wait.DefaultPatience));
        }
        finally
        {
            fixture.Origin.WaitForAcknowledgement = null;
            foreach (var ack in acknowledgements)
            {
                ack.TrySetResult();
            }
        }
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

        // The cache is filled in the background (waitUntil): ask until a request is answered without the origin.
        await Wait.Until(async () =>
        {
            var hits = fixture.Origin.WellKnownHits;
            using var again = await client.GetAsync(path);
            return await again.Content.ReadAsStringAsync() == firstBody && fixture.Origin.WellKnownHits == hits;
        }, "a request answered from the Worker's cache");
        var cachedAt = TimeProvider.System.GetTimestamp();
        var hitsWhileCached = fixture.Origin.WellKnownHits;

        // Briefly: the origin is asked again once the TTL is over (workerd's cache runs on the real clock, so this
        // waits for it), and not before: the refetch comes no earlier than the TTL after the document was cached.
        await Wait.Until(async () =>
        {
            using var again = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            return fixture.Origin.WellKnownHits > hitsWhileCached;
        }, "the origin asked again after the TTL");
        Assert.Equal(hitsWhileCached + 1, fixture.Origin.WellKnownHits);
        Assert.True(TimeProvider.System.GetElapsedTime(cachedAt) >= TimeSpan.FromSeconds(WorkerFixture.WellKnownTtlSeconds - 1),
            $"the cached document was fetched again after {TimeProvider.System.GetElapsedTime(cachedAt)}, before its {WorkerFixture.WellKnownTtlSeconds} s TTL");

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
