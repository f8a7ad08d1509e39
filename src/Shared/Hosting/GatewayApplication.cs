using System.Net;
using MasterMcp.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Hosting;

/// <summary>The standalone host: Kestrel serving the shared route table. Used when no Functions host started the process.</summary>
public static partial class GatewayApplication
{
    /// <summary>Builds the Kestrel application; <paramref name="configureServices"/> lets tests add or replace services.</summary>
    public static WebApplication BuildKestrel(GatewayStartup startup, Action<IServiceCollection>? configureServices = null)
    {
        var options = startup.Config.Options;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = startup.Config.EnvironmentName,
        });
        GatewayLogging.ConfigureConsole(builder.Logging, options.Logging);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.Hosting.MaxRequestBodyBytes;
            var host = options.Hosting.Host;
            var port = options.Hosting.Port;
            if (host is "localhost")
            {
                kestrel.ListenLocalhost(port);
            }
            else if (host is "0.0.0.0" or "*" or "+")
            {
                kestrel.Listen(IPAddress.Any, port);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(host), port);
            }
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.Hosting.ShutdownTimeoutSeconds));
        builder.Services.AddMasterMcpGateway(startup);
        builder.Services.AddHostedService<Credentials.TokenCleanupService>();
        builder.Services.AddHostedService<Audit.AuditCleanupService>();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        var pipeline = app.Services.GetRequiredService<GatewayPipeline>();
        foreach (var route in GatewayRoutes.All)
        {
            app.MapMethods("/" + route.Template, route.Methods, context => pipeline.InvokeAsync(context, route));
        }
        var startupLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MasterMcp.Hosting.GatewayApplication");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var url in app.Urls)
            {
                LogListening(startupLogger, url.TrimEnd('/') + "/mcp", url.TrimEnd('/') + "/health");
            }
        });
        app.MapFallback(context => GatewayPipeline.WriteErrorAsync(context, StatusCodes.Status404NotFound, "not_found",
            $"No endpoint at {context.Request.Method} {context.Request.Path}.", GatewayLogging.CurrentTraceId ?? context.TraceIdentifier));
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Master MCP Server is listening: MCP endpoint {McpUrl} (health: {HealthUrl})")]
    private static partial void LogListening(ILogger logger, string mcpUrl, string healthUrl);
}
