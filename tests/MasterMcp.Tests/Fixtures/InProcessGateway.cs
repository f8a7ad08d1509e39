using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Secrets;
using MasterMcp.Storage;
using MasterMcp.Tests.Conformance;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// The one way tests start a gateway in-process: the Kestrel host built by <see cref="GatewayApplication.BuildKestrel"/>,
/// on 127.0.0.1 and a free (or given) port. Storage is an <see cref="InMemoryStoreFactory"/> unless the caller keeps the
/// real one (Table Storage from <c>AzureWebJobsStorage</c>) or hands in a store. <see cref="GatewayInstance"/> (a gateway
/// from a JSON config file) and <see cref="GatewayCluster"/> (instances behind a balancer) are built on it;
/// <see cref="GatewayProcess"/> starts the published gateway as its own process where a real process is the point.
/// </summary>
public sealed class InProcessGateway : IAsyncDisposable
{
    private InProcessGateway(WebApplication app, GatewayStartup startup)
    {
        App = app;
        Startup = startup;
        BaseAddress = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    /// <summary>What the app was built from.</summary>
    public GatewayStartup Startup { get; }

    /// <summary>http://127.0.0.1:port/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for <see cref="BaseAddress"/>.</summary>
    public HttpClient Http { get; }

    /// <summary>The configuration monitor in the app's container.</summary>
    public GatewayConfigMonitor Monitor => App.Services.GetRequiredService<GatewayConfigMonitor>();

    /// <summary>
    /// Loads the configuration from <paramref name="args"/>/<paramref name="environment"/> (base directory: the repository root unless given),
    /// builds and starts the Kestrel host. <paramref name="inMemoryStorage"/> replaces Table Storage; <paramref name="store"/>, when
    /// given, replaces it with that store (several instances sharing one). <paramref name="configureServices"/> runs after the
    /// gateway's registrations.
    /// </summary>
    public static async Task<InProcessGateway> StartAsync(
        IEnumerable<string>? args = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? baseDirectory = null,
        bool inMemoryStorage = true,
        Action<IServiceCollection>? configureServices = null,
        int port = 0,
        IStoreFactory? store = null)
    {
        // Development unless the test says otherwise: Production needs TOKEN_ENC_KEY and client authentication configured.
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["MASTER_ENV"] = "Development" };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var inputs = new ConfigInputs([.. args ?? [], "--hosting.host=127.0.0.1", "--hosting.port=" + port.ToString(System.Globalization.CultureInfo.InvariantCulture)], env, baseDirectory ?? RepoPaths.Root);
        var startup = await GatewayStartup.PrepareAsync(inputs, o => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o), getEnvironmentVariable: inputs.Env));
        var app = GatewayApplication.BuildKestrel(startup, services =>
        {
            if (store is not null || inMemoryStorage)
            {
                services.RemoveAll<IStoreFactory>();
                services.AddSingleton(store ?? new InMemoryStoreFactory());
            }
            configureServices?.Invoke(services);
        });
        await app.StartAsync();
        return new InProcessGateway(app, startup);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
