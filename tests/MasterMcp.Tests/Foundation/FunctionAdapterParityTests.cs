using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Functions;
using MasterMcp.Hosting;
using MasterMcp.Observability;
using MasterMcp.Secrets;
using MasterMcp.Storage;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Foundation;

/// <summary>
/// The Functions adapters, called as the Functions host's ASP.NET Core integration calls them (a real HttpContext whose
/// RequestServices come from the container the host builds), answer exactly as Kestrel answers.
/// </summary>
public sealed class FunctionAdapterParityTests
{
    private sealed record Answer(int Status, string? ContentType, JsonNode? Body, string? CorrelationId);

    private static async Task<GatewayStartup> PrepareAsync()
    {
        var inputs = new ConfigInputs(
            ["--hosting.host=127.0.0.1", "--hosting.port=0"],
            new Dictionary<string, string> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["MASTER_ENV"] = "Development" },
            RepoPaths.Root);
        return await GatewayStartup.PrepareAsync(inputs, o => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o)));
    }

    /// <summary>The container as Program.cs builds it under the Functions host: logging plus AddMasterMcpGateway.</summary>
    private static ServiceProvider BuildFunctionsServices(GatewayStartup startup)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => GatewayLogging.ConfigureCommon(logging, startup.Config.Options.Logging));
        services.AddMasterMcpGateway(startup);
        services.RemoveAll<IStoreFactory>();
        services.AddSingleton<IStoreFactory>(new InMemoryStoreFactory());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private static async Task<Answer> InvokeFunctionAsync(IServiceProvider services, string path, Func<HttpFunctions, HttpRequest, Task<Microsoft.AspNetCore.Mvc.IActionResult>> function)
    {
        await using var scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "GET";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1");
        context.Request.Path = path;
        using var body = new MemoryStream();
        context.Response.Body = body;

        var functions = new HttpFunctions(scope.ServiceProvider.GetRequiredService<GatewayPipeline>());
        var result = await function(functions, context.Request);
        Assert.IsType<Microsoft.AspNetCore.Mvc.EmptyResult>(result);

        return new Answer(context.Response.StatusCode, context.Response.ContentType, JsonNode.Parse(body.ToArray()),
            context.Response.Headers["X-Correlation-Id"].ToString());
    }

    private static async Task<Answer> GetFromKestrelAsync(InProcessGateway gateway, string path)
    {
        using var response = await gateway.Http.GetAsync(new Uri(path, UriKind.Relative));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), JsonNode.Parse(bytes),
            response.Headers.TryGetValues("X-Correlation-Id", out var ids) ? ids.Single() : null);
    }

    [Fact]
    public async Task HealthAndReady_FunctionAdapter_AnswersLikeKestrel()
    {
        var startup = await PrepareAsync();
        await using var services = BuildFunctionsServices(startup);
        await using var kestrel = await InProcessGateway.StartAsync(
            [], new Dictionary<string, string> { ["MASTER_ENV"] = "Development" });

        var functionHealth = await InvokeFunctionAsync(services, "/health", (f, r) => f.Health(r));
        var kestrelHealth = await GetFromKestrelAsync(kestrel, "/health");
        var functionReady = await InvokeFunctionAsync(services, "/ready", (f, r) => f.Ready(r));
        var kestrelReady = await GetFromKestrelAsync(kestrel, "/ready");

        Assert.Equal(200, functionHealth.Status);
        Assert.Equal((kestrelHealth.Status, kestrelHealth.ContentType), (functionHealth.Status, functionHealth.ContentType));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ok":true}"""), functionHealth.Body));
        Assert.True(JsonNode.DeepEquals(kestrelHealth.Body, functionHealth.Body));

        Assert.Equal(200, functionReady.Status);
        Assert.Equal((kestrelReady.Status, kestrelReady.ContentType), (functionReady.Status, functionReady.ContentType));
        Assert.True(JsonNode.DeepEquals(kestrelReady.Body, functionReady.Body),
            $"Functions: {functionReady.Body?.ToJsonString()}\nKestrel:   {kestrelReady.Body?.ToJsonString()}");
        Assert.Equal("ready", (string?)functionReady.Body?["status"]);
        Assert.Equal("Development", (string?)functionReady.Body?["environment"]);
        Assert.Equal(
            ["backends", "config", "scaleout", "storage"],
            functionReady.Body!["checks"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        // The shared pipeline runs on both hosts: both set a W3C trace id as correlation id.
        Assert.Matches("^[0-9a-f]{32}$", functionHealth.CorrelationId);
        Assert.Matches("^[0-9a-f]{32}$", kestrelHealth.CorrelationId);
    }

    [Fact]
    public async Task Ready_WhenStorageIsDown_FunctionAdapterAndKestrel_Both503WithSameChecks()
    {
        var startup = await PrepareAsync();
        await using var services = BuildFunctionsServices(startup);
        ((InMemoryStoreFactory)services.GetRequiredService<IStoreFactory>()).IsUnavailable = true;
        var down = new InMemoryStoreFactory { IsUnavailable = true };
        await using var kestrel = await InProcessGateway.StartAsync(
            [], new Dictionary<string, string> { ["MASTER_ENV"] = "Development" },
            configureServices: s =>
            {
                s.RemoveAll<IStoreFactory>();
                s.AddSingleton<IStoreFactory>(down);
            });

        var function = await InvokeFunctionAsync(services, "/ready", (f, r) => f.Ready(r));
        var viaKestrel = await GetFromKestrelAsync(kestrel, "/ready");

        Assert.Equal(503, function.Status);
        Assert.Equal((viaKestrel.Status, viaKestrel.ContentType), (function.Status, function.ContentType));
        Assert.True(JsonNode.DeepEquals(viaKestrel.Body, function.Body),
            $"Functions: {function.Body?.ToJsonString()}\nKestrel:   {viaKestrel.Body?.ToJsonString()}");
    }

    [Fact]
    public async Task OriginSecret_IsEnforcedByTheFunctionAdapterToo()
    {
        var inputs = new ConfigInputs(
            ["--security.origin_secret=let-me-in"],
            new Dictionary<string, string> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["MASTER_ENV"] = "Development" },
            RepoPaths.Root);
        var startup = await GatewayStartup.PrepareAsync(inputs, o => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o)));
        await using var services = BuildFunctionsServices(startup);

        var ready = await InvokeFunctionAsync(services, "/ready", (f, r) => f.Ready(r));
        var health = await InvokeFunctionAsync(services, "/health", (f, r) => f.Health(r));

        Assert.Equal(403, ready.Status);
        Assert.Equal("origin_secret_required", (string?)ready.Body?["error"]);
        Assert.Equal(200, health.Status);
    }
}
