using System.Diagnostics;
using System.Globalization;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Observability;

/// <summary>
/// Names of the gateway's telemetry and the one place a routed call is described: the MCP SDK's own server span for the
/// request gets the backend and the public and original names (its client span to the backend copies them, see
/// <see cref="GatewaySpanProcessor"/>), and the call is measured per backend.
/// </summary>
public static class GatewayTelemetry
{
    /// <summary>The gateway's ActivitySource (the pipeline's HTTP span when no host span exists).</summary>
    public const string ActivitySourceName = "MasterMcp.Gateway";

    /// <summary>The gateway's Meter.</summary>
    public const string MeterName = "MasterMcp.Gateway";

    /// <summary>ActivitySource and Meter of the MCP C# SDK (OpenTelemetry semantic conventions for MCP).</summary>
    public const string McpSourceName = "Experimental.ModelContextProtocol";

    /// <summary>The backend a call was routed to.</summary>
    public const string BackendIdAttribute = "master_mcp.backend.id";

    /// <summary>The name the client used (tool or prompt name, or resource URI).</summary>
    public const string PublicNameAttribute = "master_mcp.public_name";

    /// <summary>The name the backend knows.</summary>
    public const string OriginalNameAttribute = "master_mcp.original_name";

    /// <summary>OpenTelemetry's end-user attribute: a SHA-256 of issuer and subject, or the subject (telemetry.user_attribute).</summary>
    public const string UserAttribute = "enduser.id";

    /// <summary>The SDK's method attribute.</summary>
    public const string McpMethodAttribute = "mcp.method.name";

    /// <summary>OpenTelemetry's error attribute.</summary>
    public const string ErrorTypeAttribute = "error.type";

    private static readonly AsyncLocal<string?> s_user = new();

    /// <summary>The <c>enduser.id</c> value of the request being served (set by the pipeline after authentication).</summary>
    public static string? CurrentUser
    {
        get => s_user.Value;
        set => s_user.Value = value;
    }

    /// <summary>
    /// Runs one call routed to <paramref name="backendId"/>: tags the request's MCP server span and records
    /// <c>master_mcp.backend.operation.duration</c> with the outcome (<c>tool_error</c>, the JSON-RPC code, or the exception type).
    /// </summary>
    public static async Task<T> RouteAsync<T>(string backendId, string method, string? publicName, string? originalName, Func<Task<T>> call)
    {
        if (ServerSpan(Activity.Current) is { } span)
        {
            span.SetTag(BackendIdAttribute, backendId);
            span.SetTag(PublicNameAttribute, publicName);
            span.SetTag(OriginalNameAttribute, originalName);
        }
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            var result = await call();
            if (result is CallToolResult { IsError: true })
            {
                error = "tool_error";
            }
            return result;
        }
        catch (McpProtocolException ex)
        {
            error = ((int)ex.ErrorCode).ToString(CultureInfo.InvariantCulture);
            throw;
        }
        catch (Exception ex)
        {
            error = ex is OperationCanceledException ? "cancelled" : ex.GetType().FullName;
            throw;
        }
        finally
        {
            // Resource URIs are unbounded (templates): only tool and prompt names become metric labels.
            GatewayMetrics.RecordBackendCall(backendId, method, method == RequestMethods.ResourcesRead ? null : publicName, Stopwatch.GetElapsedTime(started).TotalSeconds, error);
        }
    }

    /// <summary>The SDK's server span this code runs under, if any (the current activity or an ancestor in this process).</summary>
    internal static Activity? ServerSpan(Activity? activity)
    {
        for (var current = activity; current is not null; current = current.Parent)
        {
            if (current.Kind == ActivityKind.Server && current.Source.Name == McpSourceName)
            {
                return current;
            }
        }
        return null;
    }
}
