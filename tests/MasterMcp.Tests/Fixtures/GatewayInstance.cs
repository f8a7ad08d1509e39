using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Secrets;
using MasterMcp.Storage;
using MasterMcp.Tests.Conformance;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// The real gateway on in-process Kestrel at 127.0.0.1:0, configured from a JSON file the test writes (so hot reload
/// can be exercised by rewriting it). Storage is in memory unless a connection string is given.
/// </summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayInstance(WebApplication app, string configPath)
    {
        _app = app;
        ConfigPath = configPath;
    }

    public string ConfigPath { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public Uri McpUrl => new(BaseUrl, "/mcp");

    public IServiceProvider Services => _app.Services;

    public WebApplication App => _app;

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
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }
        var inputs = new ConfigInputs(["--config", path, "--hosting.host=127.0.0.1", "--hosting.port=" + port.ToString(System.Globalization.CultureInfo.InvariantCulture)], env, RepoPaths.Root);
        var startup = await GatewayStartup.PrepareAsync(inputs, o => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o)));
        var store = sharedStore ?? (storageConnectionString is null ? new InMemoryStoreFactory() : null);
        var app = GatewayApplication.BuildKestrel(startup, services =>
        {
            if (store is not null)
            {
                services.RemoveAll<IStoreFactory>();
                services.AddSingleton(store);
            }
            configureServices?.Invoke(services);
        });
        await app.StartAsync();
        var instance = new GatewayInstance(app, path) { BaseUrl = new Uri(app.Urls.First()) };
        return instance;
    }

    /// <summary>Rewrites the config file (hot reload picks it up).</summary>
    public Task WriteConfigAsync(JsonObject config) => File.WriteAllTextAsync(ConfigPath, config.ToJsonString());

    /// <summary>Connects the official C# SDK client over Streamable HTTP.</summary>
    public Task<McpClient> ConnectAsync(McpClientOptions? options = null, CancellationToken cancellationToken = default) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = McpUrl, TransportMode = HttpTransportMode.StreamableHttp }), options, cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
