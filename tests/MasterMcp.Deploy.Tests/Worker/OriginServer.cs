using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Deploy.Tests.Worker;

/// <summary>A tiny Kestrel origin on 127.0.0.1:0 that echoes requests, counts discovery hits and streams SSE in lock step.</summary>
public sealed class OriginServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _wellKnownHits;
    private int _otherHits;

    private OriginServer(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public int WellKnownHits => Volatile.Read(ref _wellKnownHits);

    public int OtherHits => Volatile.Read(ref _otherHits);

    /// <summary>Set by an SSE test: the origin writes event n+1 only after the client acknowledged event n.</summary>
    public Func<int, Task>? WaitForAcknowledgement { get; set; }

    public static async Task<OriginServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var origin = new OriginServer(app);

        app.Map("/echo/{**rest}", origin.EchoAsync);
        app.MapGet("/.well-known/{**rest}", (HttpContext context) =>
        {
            var hit = Interlocked.Increment(ref origin._wellKnownHits);
            return Results.Json(new { resource = "http://example.test/mcp", hit, path = context.Request.Path.Value });
        });
        app.MapGet("/other", () => Results.Json(new { hit = Interlocked.Increment(ref origin._otherHits) }));
        app.MapGet("/redirect", () => Results.Redirect("https://idp.example.test/authorize?state=1"));
        app.MapGet("/sse", origin.StreamEventsAsync);

        await app.StartAsync();
        origin.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return origin;
    }

    private async Task EchoAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var status = int.TryParse(context.Request.Query["status"], out var s) ? s : 200;
        context.Response.StatusCode = status;
        context.Response.Headers["X-Origin-Marker"] = "echo";
        await context.Response.WriteAsJsonAsync(new EchoedRequest
        {
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "",
            Query = context.Request.QueryString.Value ?? "",
            Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Body = body,
        }, context.RequestAborted);
    }

    private async Task StreamEventsAsync(HttpContext context)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache, no-transform";
        await context.Response.StartAsync(context.RequestAborted);
        var count = int.TryParse(context.Request.Query["count"], out var c) ? c : 5;
        for (var i = 1; i <= count; i++)
        {
            await context.Response.WriteAsync($"id: {i}\ndata: {{\"n\":{i}}}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (WaitForAcknowledgement is { } wait)
            {
                await wait(i);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
