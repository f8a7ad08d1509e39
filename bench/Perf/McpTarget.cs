using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Perf;

/// <summary>
/// One MCP endpoint as the load generator sees it: raw JSON-RPC POSTs over one <see cref="HttpClient"/> (no SDK client,
/// so the generator costs little next to what it measures), with sessions opened by <c>initialize</c> when the server
/// hands out an <c>Mcp-Session-Id</c>, and an optional bearer token on every request.
/// </summary>
internal sealed class McpTarget : IDisposable
{
    public const string Protocol = "2025-11-25";

    private readonly HttpClient _http;
    private readonly List<string?> _sessions = [];

    public McpTarget(string label, Uri endpoint, string? token = null)
    {
        Label = label;
        Endpoint = endpoint;
        Token = token;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 256,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        { Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Label { get; }

    public Uri Endpoint { get; }

    public string? Token { get; }

    /// <summary>The session of worker <paramref name="index"/> (null on a stateless server).</summary>
    public string? Session(int index) => _sessions[index];

    /// <summary>Makes sure at least <paramref name="count"/> sessions are open: one per connection of the load.</summary>
    public async Task EnsureSessionsAsync(int count)
    {
        while (_sessions.Count < count)
        {
            _sessions.Add(await InitializeAsync());
        }
    }

    /// <summary><c>initialize</c> then <c>notifications/initialized</c>; returns the session id, if any.</summary>
    public async Task<string?> InitializeAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(null,
            """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1.0"}}}""",
            cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK || !body.Contains("\"result\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{Label}: initialize answered {(int)response.StatusCode}: {Trim(body)}");
        }
        var session = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : null;
        using var initialized = await SendAsync(session, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", cancellationToken);
        if (!initialized.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{Label}: notifications/initialized answered {(int)initialized.StatusCode}");
        }
        return session;
    }

    /// <summary>One request; returns the raw body (SSE or JSON) and throws on a non-200 or a JSON-RPC error.</summary>
    public async Task<string> CallAsync(string? session, string json, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(session, json, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK || !IsResult(body))
        {
            throw new InvalidOperationException($"{Label}: {(int)response.StatusCode} {Trim(body)}");
        }
        return body;
    }

    /// <summary>The JSON-RPC message of a response body (plain JSON or the <c>data:</c> of an SSE event).</summary>
    public static JsonNode Message(string body)
    {
        var text = body.TrimStart();
        if (text.StartsWith('{'))
        {
            return JsonNode.Parse(text)!;
        }
        foreach (var line in body.Split('\n'))
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && line.Length > 6 && line.Contains("\"jsonrpc\"", StringComparison.Ordinal))
            {
                return JsonNode.Parse(line[5..])!;
            }
        }
        throw new InvalidOperationException("no JSON-RPC message in: " + Trim(body));
    }

    /// <summary>A result and no error; cheap enough for the hot loop (no parse).</summary>
    public static bool IsResult(string body) =>
        body.Contains("\"result\":", StringComparison.Ordinal) && !body.Contains("\"isError\":true", StringComparison.Ordinal);

    public async Task<HttpResponseMessage> SendAsync(string? session, string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
            Version = HttpVersion.Version11,
        };
        request.Headers.Accept.Add(Json);
        request.Headers.Accept.Add(EventStream);
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", Protocol);
        if (session is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", session);
        }
        if (Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    /// <summary>Ends the sessions this target opened (DELETE), so the servers do not keep them.</summary>
    public async Task CloseSessionsAsync()
    {
        foreach (var session in _sessions.Where(s => s is not null))
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, Endpoint);
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", session);
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", Protocol);
            if (Token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            }
            try
            {
                using var _ = await _http.SendAsync(request);
            }
            catch (HttpRequestException)
            {
                // The server may already be gone.
            }
        }
        _sessions.Clear();
    }

    public void Dispose() => _http.Dispose();

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue EventStream = new("text/event-stream");

    private static string Trim(string body) => body.Length > 300 ? body[..300] + "…" : body;
}
