using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Gateway;
using ModelContextProtocol.Client;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// Bad input on /mcp gets the status or JSON-RPC error the Streamable HTTP transport specifies, and the gateway keeps
/// serving: a valid call on an open session succeeds right after each bad request.
/// </summary>
public sealed class BadInputTests(RelayFixture fixture, ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private const string Init = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    public static TheoryData<string> Cases => ["malformed-json", "batch", "unknown-method", "missing-version-header", "bad-version-header", "bad-origin", "huge-body", "unknown-session",
        "missing-content-type", "content-type-list"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequest_GetsTheSpecifiedAnswer_AndTheNextValidCallSucceeds(string kind)
    {
        await using var client = await fixture.Gateway.ConnectAsync(new McpClientOptions { ProtocolVersion = "2025-11-25" });
        using var http = new HttpClient();
        var session = await InitializeAsync(http);

        var (request, expectedStatus, expectedRpcCode) = kind switch
        {
            // JSON-RPC names -32700 for unparsable JSON; the SDK's transport answers 400 with -32600 (recorded, not changed).
            "malformed-json" => (Post("{not json", session), HttpStatusCode.BadRequest, -32600),
            "batch" => (Post($"[{Ping(7)},{Ping(8)}]", session), HttpStatusCode.BadRequest, (int?)null),
            "unknown-method" => (Post("""{"jsonrpc":"2.0","id":9,"method":"no/such_method","params":{}}""", session), HttpStatusCode.OK, -32601),
            // Absent means 2025-03-26 (the spec's backwards-compatibility rule), which is supported: accepted.
            "missing-version-header" => (Post(Ping(10), session, version: null), HttpStatusCode.OK, (int?)null),
            "bad-version-header" => (Post(Ping(11), session, version: "1999-01-01"), HttpStatusCode.BadRequest, -32022),
            "bad-origin" => (Post(Ping(12), session, origin: "https://evil.example"), HttpStatusCode.Forbidden, (int?)null),
            "huge-body" => (Post(Ping(13).Replace("{}", "{\"pad\":\"" + new string('x', 5 * 1024 * 1024) + "\"}", StringComparison.Ordinal), session), HttpStatusCode.RequestEntityTooLarge, (int?)null),
            "unknown-session" => (Post(Ping(14), "no-such-session"), HttpStatusCode.NotFound, (int?)null),
            // Both passed the SDK's own Content-Type check and then failed its JSON reader: 500 before the gateway checked first.
            "missing-content-type" => (WithContentType(Post(Ping(15), session), null), HttpStatusCode.UnsupportedMediaType, (int?)null),
            "content-type-list" => (WithContentType(Post(Ping(16), session), "application/json, text/html"), HttpStatusCode.UnsupportedMediaType, (int?)null),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        // With 100-continue the client waits for the verdict before uploading, so a 413 is not lost in a reset upload.
        request.Headers.ExpectContinue = kind == "huge-body";
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{kind}: {(int)response.StatusCode} {body[..Math.Min(300, body.Length)]}");
        Assert.Equal(expectedStatus, response.StatusCode);
        if (expectedRpcCode is { } code)
        {
            Assert.Contains($"\"code\":{code}", body, StringComparison.Ordinal);
        }

        var echo = await client.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = kind });
        Assert.Equal($"sample/echo: {kind}", AggregationTests.Text(echo));
        using var ping = await http.SendAsync(Post(Ping(99), session));
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    private static HttpRequestMessage WithContentType(HttpRequestMessage request, string? contentType)
    {
        request.Content!.Headers.Remove("Content-Type");
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return request;
    }

    private static string Ping(int id) => "{\"jsonrpc\":\"2.0\",\"id\":" + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"method\":\"ping\",\"params\":{}}";

    private async Task<string> InitializeAsync(HttpClient http)
    {
        using var response = await http.SendAsync(Post(Init, session: null));
        response.EnsureSuccessStatusCode();
        var session = response.Headers.GetValues("Mcp-Session-Id").Single();
        using var initialized = await http.SendAsync(Post("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", session));
        initialized.EnsureSuccessStatusCode();
        return session;
    }

    private HttpRequestMessage Post(string json, string? session, string? version = "2025-11-25", string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, fixture.Gateway.McpUrl) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }
        if (version is not null)
        {
            request.Headers.Add("MCP-Protocol-Version", version);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return request;
    }
}
