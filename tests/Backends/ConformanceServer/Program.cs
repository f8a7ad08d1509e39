using ConformanceServer;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ModelContextProtocol.AspNetCore;

// Usage:
//   ConformanceServer [--urls http://127.0.0.1:0]   Streamable HTTP at <url>/mcp; prints "LISTENING <url>" once bound.
//   ConformanceServer --stdio                       the same primitives over stdio (logs go to stderr).
if (args.Contains("--stdio"))
{
    var stdio = Host.CreateApplicationBuilder(args.Where(a => a != "--stdio").ToArray());
    stdio.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    stdio.Services.AddMcpServer().WithStdioServerTransport().WithConformancePrimitives();
    await stdio.Build().RunAsync();
    return;
}

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:0");
}

builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddDistributedMemoryCache();

#pragma warning disable MCP9006 // Stateful sessions and the event store are what server→client requests and SSE resumption (test_reconnection) need.
builder.Services.AddMcpServer()
    .WithHttpTransport(options => options.SessionMode = HttpServerSessionMode.Stateful)
    .WithDistributedCacheEventStreamStore()
    .WithConformancePrimitives();
#pragma warning restore MCP9006

var app = builder.Build();
app.UseMiddleware<LocalhostOnlyMiddleware>();
app.MapMcp("/mcp");
app.MapGet("/health", () => "Healthy");

await app.StartAsync();

var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"LISTENING {address}");
Console.Out.Flush();

await app.WaitForShutdownAsync();
