using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// YARP on 127.0.0.1:0 sending each request to the next instance in turn, with no session affinity — what Azure
/// Functions Flex Consumption or a platform balancer does to a client talking to several instances.
/// </summary>
public sealed class RoundRobinBalancer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly InMemoryConfigProvider _config;
    private readonly List<Uri> _destinations;

    private RoundRobinBalancer(WebApplication app, InMemoryConfigProvider config, List<Uri> destinations)
    {
        _app = app;
        _config = config;
        _destinations = destinations;
    }

    /// <summary>The balancer's own base URL.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The MCP endpoint behind the balancer.</summary>
    public Uri McpUrl => new(BaseUrl, "/mcp");

    /// <summary>Starts a balancer over <paramref name="destinations"/>.</summary>
    public static async Task<RoundRobinBalancer> StartAsync(IEnumerable<Uri> destinations, int port = 0)
    {
        var list = destinations.ToList();
        var config = new InMemoryConfigProvider(Routes(), Clusters(list));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddSingleton<IProxyConfigProvider>(config);
        builder.Services.AddReverseProxy();
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        return new RoundRobinBalancer(app, config, list) { BaseUrl = new Uri(app.Urls.First()) };
    }

    /// <summary>Stops sending requests to <paramref name="destination"/> (as a platform does once an instance has stopped).</summary>
    public void Remove(Uri destination)
    {
        _destinations.Remove(destination);
        _config.Update(Routes(), Clusters(_destinations));
    }

    private static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig
        {
            RouteId = "all",
            ClusterId = "gateways",
            Match = new RouteMatch { Path = "{**catch-all}" },
            // Platform balancers keep the Host the client used; the gateway's DNS-rebinding check depends on it.
            Transforms = [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "true" }],
        },
    ];

    private static IReadOnlyList<ClusterConfig> Clusters(IEnumerable<Uri> destinations) =>
    [
        new ClusterConfig
        {
            ClusterId = "gateways",
            LoadBalancingPolicy = "RoundRobin",
            // Long-lived SSE streams (GET) must not be cut by the proxy's idle timeout during a test.
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(5) },
            Destinations = destinations.Select((d, i) => (d, i)).ToDictionary(x => "g" + x.i, x => new DestinationConfig { Address = x.d.ToString() }),
        },
    ];

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
