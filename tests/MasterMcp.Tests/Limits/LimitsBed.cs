using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Limits;

/// <summary>
/// One gateway in jwt mode (tokens from oidc-provider: two machine users, m2m and m2m-b, each its own subject and client)
/// with no backends, for the limits tests. <paramref name="configure"/> changes its configuration before it starts.
/// </summary>
public sealed class LimitsBed : IAsyncDisposable
{
    private LimitsBed(OidcProviderProcess idp, GatewayInstance gateway, string resource)
    {
        Idp = idp;
        Gateway = gateway;
        Resource = resource;
    }

    public OidcProviderProcess Idp { get; }

    public GatewayInstance Gateway { get; }

    /// <summary>The audience tokens are issued for (the gateway's /mcp).</summary>
    public string Resource { get; }

    public static async Task<LimitsBed> StartAsync(Action<JsonObject> configure)
    {
        var idp = await OidcProviderProcess.StartAsync();
        try
        {
            var port = AuthTestKit.FreePort();
            var baseUrl = $"http://127.0.0.1:{port}";
            var config = new JsonObject
            {
                ["hosting"] = new JsonObject { ["base_url"] = baseUrl },
                ["auth"] = new JsonObject { ["mode"] = "jwt", ["jwt"] = new JsonObject { ["issuer"] = idp.Issuer } },
                ["servers"] = new JsonArray(),
            };
            configure(config);
            var gateway = await GatewayInstance.StartAsync(config, port: port);
            return new LimitsBed(idp, gateway, baseUrl + "/mcp");
        }
        catch
        {
            await idp.DisposeAsync();
            throw;
        }
    }

    /// <summary>A token of the noisy user (client m2m).</summary>
    public Task<string> NoisyTokenAsync() => Idp.ClientCredentialsTokenAsync(Resource, "mcp");

    /// <summary>A token of the quiet user (client m2m-b).</summary>
    public Task<string> QuietTokenAsync() => Idp.ClientCredentialsTokenAsync(Resource, "mcp", "m2m-b", "m2m-b-secret");

    /// <summary>An initialize request with JSON-RPC id <paramref name="id"/>.</summary>
    public static HttpRequestMessage Initialize(Uri gateway, string? token, int id = 1, IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":""" + id + ""","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"limits","version":"1"}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>Opens a session (initialize + initialized) and returns its id.</summary>
    public static async Task<string> OpenSessionAsync(HttpClient http, Uri gateway, string token)
    {
        var session = new Scaleout.RawMcpSession(http, new Uri(gateway, "/mcp"), token);
        await session.InitializeAsync();
        return session.SessionId;
    }

    /// <summary>Opens the GET stream of a session; the response is returned once its headers arrived (the caller disposes it to close the stream).</summary>
    public static Task<HttpResponseMessage> OpenStreamAsync(HttpClient http, Uri gateway, string token, string sessionId, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway, "/mcp"));
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Mcp-Session-Id", sessionId);
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Ends a session with DELETE; returns the status.</summary>
    public static async Task<System.Net.HttpStatusCode> DeleteSessionAsync(HttpClient http, Uri gateway, string token, string sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(gateway, "/mcp"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Mcp-Session-Id", sessionId);
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Idp.DisposeAsync();
    }
}
