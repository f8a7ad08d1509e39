using System.Text.Json.Nodes;
using MasterMcp.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// The real gateway on in-process Kestrel at 127.0.0.1:0 (an <see cref="InProcessGateway"/>), configured from a JSON file the
/// test writes (so hot reload can be exercised by rewriting it). Storage is in memory unless a connection string or a
/// shared store is given.
/// </summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private GatewayInstance(InProcessGateway gateway, string configPath)
    {
        Gateway = gateway;
        ConfigPath = configPath;
    }

    /// <summary>The in-process gateway underneath.</summary>
    public InProcessGateway Gateway { get; }

    public string ConfigPath { get; }

    public Uri BaseUrl => Gateway.BaseAddress;

    public Uri McpUrl => new(BaseUrl, "/mcp");

    public IServiceProvider Services => Gateway.App.Services;

    public WebApplication App => Gateway.App;

    /// <summary>Starts a gateway whose config file holds <paramref name="config"/> (hosting is forced to loopback).</summary>
    /// <remarks><paramref name="port"/> fixes the port (auth tests need hosting.base_url before start); <paramref name="configureServices"/> runs after the gateway's registrations.</remarks>
    public static async Task<GatewayInstance> StartAsync(JsonObject config, string? storageConnectionString = null, IStoreFactory? sharedStore = null, IDictionary<string, string>? environment = null,
        int port = 0, Action<IServiceCollection>? configureServices = null)
    {
        var dir = Directory.CreateTempSubdirectory("gateway-test-");
        var path = Path.Combine(dir.FullName, "gateway.json");
        if (config["logging"] is null)
        {
            // --config layers over config/development.json, whose debug logging is for people; keep tests at information.
            config = (JsonObject)config.DeepClone();
            config["logging"] = new JsonObject { ["level"] = "information" };
        }
        await File.WriteAllTextAsync(path, config.ToJsonString());
        var env = new Dictionary<string, string>
        {
            ["MASTER_ENV"] = "Development",
            ["AzureWebJobsStorage"] = storageConnectionString ?? "UseDevelopmentStorage=true",
            // stdio backends are started with this environment: they need to find their commands.
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }
        var gateway = await InProcessGateway.StartAsync(
            ["--config", path], env, inMemoryStorage: storageConnectionString is null, configureServices: configureServices, port: port, store: sharedStore);
        return new GatewayInstance(gateway, path);
    }

    /// <summary>Rewrites the config file (hot reload picks it up).</summary>
    public Task WriteConfigAsync(JsonObject config) => File.WriteAllTextAsync(ConfigPath, config.ToJsonString());

    /// <summary>Connects the official C# SDK client over Streamable HTTP.</summary>
    public Task<McpClient> ConnectAsync(McpClientOptions? options = null, CancellationToken cancellationToken = default) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = McpUrl, TransportMode = HttpTransportMode.StreamableHttp }), options, cancellationToken: cancellationToken);

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}
