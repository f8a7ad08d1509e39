namespace ConformanceServer;

/// <summary>
/// DNS-rebinding protection for a local, unauthenticated MCP server: requests whose Host or Origin
/// names anything but a loopback host are refused (Host → 421, Origin → 403).
/// </summary>
public sealed class LocalhostOnlyMiddleware(RequestDelegate next)
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]", "::1"];

    /// <summary>Rejects non-loopback Host/Origin headers, passes everything else on.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsLoopback(context.Request.Host.Host))
        {
            context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            await context.Response.WriteAsync($"Host '{context.Request.Host}' is not a loopback host.");
            return;
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri) || !IsLoopback(originUri.Host)))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync($"Origin '{origin}' is not a loopback origin.");
            return;
        }

        await next(context);
    }

    private static bool IsLoopback(string host) => LoopbackHosts.Contains(host, StringComparer.OrdinalIgnoreCase);
}
