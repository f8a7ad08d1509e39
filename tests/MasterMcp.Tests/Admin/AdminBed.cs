using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Admin;

/// <summary>
/// What the admin tests share: an oidc-provider (jwt mode; tokens of machine users, with or without the <c>admin</c>
/// scope), two C# SampleServer backends and the helpers to call the admin API and to watch an MCP client's lists.
/// Admins: subject <c>m2m</c> (admin.subjects) and anyone whose groups claim holds <c>ops</c> (admin.roles; <c>m2m-ops</c>).
/// </summary>
public sealed class AdminBed : IAsyncLifetime
{
    public OidcProviderProcess Idp { get; private set; } = null!;

    public TestServerProcess Alpha { get; private set; } = null!;

    public TestServerProcess Beta { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Idp = await OidcProviderProcess.StartAsync();
        Alpha = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        Beta = await TestServerProcess.StartAsync("SampleServer", "--name", "beta");
    }

    public async Task DisposeAsync()
    {
        await Beta.DisposeAsync();
        await Alpha.DisposeAsync();
        await Idp.DisposeAsync();
    }

    /// <summary>A jwt-mode configuration for a gateway at <paramref name="baseUrl"/> with the admin settings of this bed.</summary>
    public JsonObject Config(Uri baseUrl, JsonArray? policies = null) => new()
    {
        ["hosting"] = new JsonObject { ["base_url"] = baseUrl.ToString().TrimEnd('/') },
        ["auth"] = new JsonObject { ["mode"] = "jwt", ["jwt"] = new JsonObject { ["issuer"] = Idp.Issuer } },
        ["admin"] = new JsonObject { ["subjects"] = new JsonArray("m2m"), ["roles"] = new JsonArray("ops"), ["refresh_seconds"] = 2 },
        ["audit"] = new JsonObject { ["table"] = true },
        ["servers"] = new JsonArray(
            new JsonObject { ["id"] = "alpha", ["url"] = Alpha.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" },
            new JsonObject { ["id"] = "beta", ["url"] = Beta.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" }),
        ["policies"] = policies ?? new JsonArray(),
    };

    /// <summary>A token of the admin <c>m2m</c> with the admin scope.</summary>
    public Task<string> AdminTokenAsync(Uri resource) => Idp.ClientCredentialsTokenAsync(resource.ToString(), "mcp admin");

    /// <summary>Sends one admin API request; returns the status and the JSON body.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> CallAsync(Uri gateway, HttpMethod method, string path, string? token, string? origin = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, new Uri(gateway, "/admin/api/" + path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("");
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>An MCP client (2025-11-25: it has a session, so it gets list_changed) that counts tools/list_changed.</summary>
    public static async Task<(McpClient Client, ListChangedCounter Changes)> ConnectAsync(Uri mcpUrl, string token)
    {
        var counter = new ListChangedCounter();
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { counter.Increment(); return ValueTask.CompletedTask; })],
            },
        };
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = mcpUrl,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        });
        return (await McpClient.CreateAsync(transport, options), counter);
    }

    /// <summary>The public tool names a client sees now.</summary>
    public static async Task<List<string>> ToolsAsync(McpClient client) => [.. (await client.ListToolsAsync()).Select(t => t.Name)];
}

/// <summary>Counts tools/list_changed notifications a client received.</summary>
public sealed class ListChangedCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);
}
