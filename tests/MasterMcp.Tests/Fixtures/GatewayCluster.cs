using System.Text.Json.Nodes;
using MasterMcp.Backends;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// Several gateway instances sharing one Azurite and one real Redis, behind a round-robin balancer without affinity.
/// Clients connect to the balancer, so consecutive requests of one session land on different instances.
/// </summary>
public sealed class GatewayCluster : IAsyncDisposable
{
    private GatewayCluster(AzuriteProcess azurite, RedisProcess redis, List<GatewayInstance> instances, RoundRobinBalancer balancer)
    {
        Azurite = azurite;
        Redis = redis;
        Instances = instances;
        Balancer = balancer;
    }

    /// <summary>The TOKEN_ENC_KEY every instance of a test cluster shares (a test value, not a secret).</summary>
    public const string SharedTokenKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    public AzuriteProcess Azurite { get; }

    public RedisProcess Redis { get; }

    /// <summary>The instances, in the balancer's order.</summary>
    public List<GatewayInstance> Instances { get; }

    public RoundRobinBalancer Balancer { get; }

    /// <summary>The MCP endpoint clients use (the balancer).</summary>
    public Uri McpUrl => Balancer.McpUrl;

    /// <summary>The balancer's base URL.</summary>
    public Uri BaseUrl => Balancer.BaseUrl;

    /// <summary>Backend requests in flight on all instances.</summary>
    public long PendingBackendRequests => Instances.Sum(i => i.Services.GetRequiredService<BackendRequestTracker>().Pending);

    /// <summary>Backend requests cancelled on all instances.</summary>
    public long CancelledBackendRequests => Instances.Sum(i => i.Services.GetRequiredService<BackendRequestTracker>().Cancelled);

    /// <summary>Starts <paramref name="count"/> instances with <paramref name="config"/> plus the shared storage and Redis.</summary>
    public static Task<GatewayCluster> StartAsync(JsonObject config, int count = 3, IDictionary<string, string>? environment = null) =>
        StartAsync(_ => config, count, environment);

    /// <summary>Starts instances whose configuration depends on the balancer's public URL (OAuth resource, base URL); <paramref name="configureServices"/> runs for each instance (by index) after the gateway's registrations.</summary>
    public static async Task<GatewayCluster> StartAsync(Func<Uri, JsonObject> configFor, int count = 3, IDictionary<string, string>? environment = null,
        Action<int, Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    {
        // One TOKEN_ENC_KEY for all instances, as in production: session ids are signed with a key derived from it.
        environment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["TOKEN_ENC_KEY"] = SharedTokenKey };
        var balancerPort = FreePort.Next();
        var config = configFor(new Uri($"http://127.0.0.1:{balancerPort}"));
        var azurite = await AzuriteProcess.StartAsync();
        var redis = await RedisProcess.StartAsync();
        var redisSecret = Path.Combine(Directory.CreateTempSubdirectory("redis-secret-").FullName, "redis-connection");
        await File.WriteAllTextAsync(redisSecret, redis.ConnectionString);
        var instances = new List<GatewayInstance>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var instanceConfig = (JsonObject)config.DeepClone();
                var scaleout = instanceConfig["scaleout"] as JsonObject ?? new JsonObject();
                // As in production, the connection string is a secret reference (here a file; kv: in Azure).
                scaleout["redis"] = "file:" + redisSecret;
                instanceConfig["scaleout"] = scaleout;
                var index = i;
                instances.Add(await GatewayInstance.StartAsync(instanceConfig, azurite.ConnectionString, environment: environment,
                    configureServices: configureServices is null ? null : services => configureServices(index, services)));
            }
            var balancer = await RoundRobinBalancer.StartAsync(instances.Select(i => i.BaseUrl), balancerPort);
            return new GatewayCluster(azurite, redis, instances, balancer);
        }
        catch
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
            await redis.DisposeAsync();
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects the official C# SDK client to the balancer over Streamable HTTP.</summary>
    public Task<McpClient> ConnectAsync(McpClientOptions? options = null, CancellationToken cancellationToken = default) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = McpUrl, TransportMode = HttpTransportMode.StreamableHttp }), options, cancellationToken: cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Balancer.DisposeAsync();
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }
        await Redis.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}
