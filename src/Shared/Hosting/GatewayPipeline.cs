using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Observability;
using MasterMcp.Secrets;
using MasterMcp.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Hosting;

/// <summary>
/// What runs around every handler on both hosts: correlation id, the origin-secret check, the Origin check and error mapping.
/// Kept out of ASP.NET middleware on purpose, because the Functions host would not run Kestrel-only middleware.
/// </summary>
public sealed partial class GatewayPipeline(IOptionsMonitor<GatewayOptions> options, ISecretResolver secrets, RequestAuthenticator authenticator, Limits.RequestRateLimiter rateLimiter,
    ILogger<GatewayPipeline> logger, Scaleout.DrainCoordinator? drain = null, GatewayStartup? startup = null)
{
    private static readonly ActivitySource Source = new(GatewayTelemetry.ActivitySourceName);

    // The seed's FEATURE_REQUEST_LOGGING=1: the one line per request is logged at Information instead of Debug.
    private readonly LogLevel _requestLogLevel = TelemetryServiceCollectionExtensions.IsOn(startup?.Inputs.Env("FEATURE_REQUEST_LOGGING")) ? LogLevel.Information : LogLevel.Debug;

    /// <summary>Runs <paramref name="route"/>'s handler for this request.</summary>
    public async Task InvokeAsync(HttpContext context, GatewayRoute route)
    {
        if (drain?.IsDraining == true)
        {
            // Requests already in flight when the drain began still start sessions; these do not.
            context.Items[Scaleout.DrainCoordinator.ArrivedWhileDrainingItem] = true;
        }
        using var activity = Activity.Current is null ? StartActivity(context, route) : null;
        var traceId = Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;
        context.Response.Headers["X-Correlation-Id"] = traceId;
        using var scope = logger.BeginScope(new RequestLogScope(traceId, route.Name));
        try
        {
            var current = options.CurrentValue;
            LimitBody(context, current.Hosting.MaxRequestBodyBytes);
            if (route.RequiresOriginSecret && current.Security.OriginSecret is { Length: > 0 } configured)
            {
                await CheckOriginSecretAsync(context, current.Security, configured);
            }
            if (route.ChecksOrigin)
            {
                CheckOrigin(context, current);
            }
            if (route.VirtualServer)
            {
                ResolveVirtualServer(context);
            }
            // The address is counted before authentication, so a flood of bad tokens is limited too. A request carried here
            // from another instance (to its session's owner) was counted there already.
            var limited = route.RateLimited && !context.Items.ContainsKey(Scaleout.SessionTunnel.ForwardedItem);
            if (limited && await rateLimiter.CheckAddressAsync(context, current.Security.RateLimits) is { } byAddress)
            {
                await WriteRateLimitedAsync(context, route, byAddress, traceId);
                return;
            }
            await authenticator.AuthenticateAsync(context, route);
            GatewayTelemetry.CurrentUser = TelemetryUser(Auth.GatewayUser.From(context), current.Telemetry.UserAttribute);
            if (HttpMethods.IsPost(context.Request.Method))
            {
                await BufferRequestBodyAsync(context);
                await ReadFormAsync(context);
            }
            if (limited && await rateLimiter.CheckCallerAsync(context, current.Security.RateLimits) is { } byCaller)
            {
                await WriteRateLimitedAsync(context, route, byCaller, traceId);
                return;
            }
            var handler = (IEndpointHandler)context.RequestServices.GetRequiredService(route.HandlerType);
            var started = Stopwatch.GetTimestamp();
            await handler.HandleAsync(context);
            LogRequestHandled(logger, _requestLogLevel, context.Request.Method, route.Name, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (GatewayHttpException ex)
        {
            LogRequestRefused(logger, route.Name, ex.StatusCode, ex.Code);
            await WriteErrorAsync(context, ex.StatusCode, ex.Code, ex.Message, traceId, ex.Headers, route.OAuthErrors);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's verdict on the request itself (a malformed or oversized body read by a handler): the client's fault.
            LogRequestRefused(logger, route.Name, ex.StatusCode, "bad_request");
            await WriteErrorAsync(context, ex.StatusCode, route.OAuthErrors ? "invalid_request" : "bad_request", ex.Message, traceId, oauth: route.OAuthErrors);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex) when (ExceptionChain.Find<StorageUnavailableException>(ex) is { } storage)
        {
            // An unavailable dependency is a 503 the client may retry, not a bug (architecture principle 10).
            LogStorageUnavailable(logger, route.Name, storage.Message);
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "storage_unavailable", StorageUnavailableException.PublicMessage, traceId,
                new Dictionary<string, string> { ["Retry-After"] = StorageUnavailableException.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, route.Name, ex);
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "internal_error",
                "The gateway failed to handle this request; quote the correlation id when reporting it.", traceId);
        }
    }

    /// <summary>The enduser.id span attribute for this user under telemetry.user_attribute (hash: the gateway's user key, a SHA-256 of issuer and subject).</summary>
    internal static string? TelemetryUser(Auth.GatewayUser? user, string mode) => user is null ? null : mode switch
    {
        "subject" => user.Subject,
        "none" => null,
        _ => user.Key,
    };

    private static Activity? StartActivity(HttpContext context, GatewayRoute route)
    {
        ActivityContext.TryParse(context.Request.Headers["traceparent"], context.Request.Headers["tracestate"], out var parent);
        var activity = Source.StartActivity("HTTP " + route.Name, ActivityKind.Server, parent);
        if (activity is null)
        {
            // No listener: still create one so the trace id correlates the logs of this request.
            activity = new Activity("HTTP " + route.Name);
            activity.SetIdFormat(ActivityIdFormat.W3C);
            if (parent != default)
            {
                activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
            }
            activity.Start();
        }
        return activity;
    }

    /// <summary>
    /// Reads the whole request body before the handler runs. JSON readers over the body's PipeReader examine bytes they do
    /// not consume; Kestrel then cannot hide the CancelPendingRead it issues on graceful shutdown (SIGTERM), and a request
    /// whose body was still arriving failed with "PipeReader.ReadAsync was canceled" instead of completing. Bodies are
    /// JSON-RPC messages bounded by hosting.max_request_body_bytes, which the handlers deserialize whole anyway.
    /// </summary>
    private static async Task BufferRequestBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength == 0)
        {
            return;
        }
        var buffer = new MemoryStream(context.Request.ContentLength is > 0 and <= int.MaxValue and var length ? (int)length : 0);
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            await buffer.DisposeAsync();
            throw new GatewayHttpException(ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request_too_large" : "bad_request", ex.Message);
        }
        buffer.Position = 0;
        context.Request.Body = buffer;
        context.Response.RegisterForDisposeAsync(buffer);
    }

    /// <summary>
    /// Parses a form body once, here, so a malformed one is a 400 naming the problem on every route (handlers then get the
    /// parsed form from <see cref="HttpRequest.ReadFormAsync"/>). The form reader throws InvalidDataException for keys over
    /// 2,048 characters, too many fields or a broken multipart body; those used to escape the handlers as 500s.
    /// </summary>
    private static async Task ReadFormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            return;
        }
        try
        {
            await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or DecoderFallbackException or NotSupportedException
            or (IOException and not BadHttpRequestException) && !context.RequestAborted.IsCancellationRequested)
        {
            var problem = ex switch
            {
                InvalidDataException => ex.Message.TrimEnd('.'),
                NotSupportedException => "its charset is not supported (send UTF-8)",
                DecoderFallbackException => "it is not valid in its charset",
                _ => "it ends before it is complete",
            };
            throw new GatewayHttpException(StatusCodes.Status400BadRequest, "invalid_request", "The form body cannot be read: " + problem + ".");
        }
        finally
        {
            // The buffered body stays readable for a handler that reads it itself.
            if (context.Request.Body is MemoryStream { CanSeek: true } buffered)
            {
                buffered.Position = 0;
            }
        }
    }

    private async Task CheckOriginSecretAsync(HttpContext context, SecurityOptions security, string configured)
    {
        var expected = await secrets.ResolveAsync(configured, "security.origin_secret", context.RequestAborted);
        var presented = context.Request.Headers[security.OriginSecretHeader].ToString();
        var ok = presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
        if (!ok)
        {
            throw new GatewayHttpException(StatusCodes.Status403Forbidden, "origin_secret_required",
                $"This gateway only accepts requests through its proxy: the {security.OriginSecretHeader} header is missing or wrong.");
        }
        // From here on the proxy's forwarded-address headers may be believed.
        context.Items[Limits.SourceAddress.OriginVerifiedItem] = true;
    }

    /// <summary>
    /// /mcp/{name} and its metadata: the virtual server named by the last path segment, attached to the request for
    /// authentication (audience, challenge) and the MCP endpoint; a name that is not configured is 404 before anything else.
    /// </summary>
    private static void ResolveVirtualServer(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var name = Uri.UnescapeDataString(path[(path.TrimEnd('/').LastIndexOf('/') + 1)..].TrimEnd('/'));
        var server = context.RequestServices.GetRequiredService<Gateway.Access.CatalogAccess>().Find(name)
            ?? throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found",
                $"There is no virtual server named '{(name.Length > 64 ? name[..64] + "…" : name)}' on this gateway (see virtual_servers).");
        Gateway.Access.CatalogAccess.SetRequestVirtualServer(context, server);
    }

    // Kestrel enforces the limit too, but the Functions host does not run Kestrel's limits: enforce it here for both.
    private static void LimitBody(HttpContext context, long limit)
    {
        if (context.Request.ContentLength > limit)
        {
            throw new GatewayHttpException(StatusCodes.Status413PayloadTooLarge, "request_too_large",
                $"The request body has {context.Request.ContentLength} bytes; the limit is {limit} (hosting.max_request_body_bytes).");
        }
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }

    private static void CheckOrigin(HttpContext context, GatewayOptions current)
    {
        // DNS rebinding: a page on evil.example resolves its name to 127.0.0.1 and talks to a local gateway. A request that
        // reached a loopback socket must therefore name a loopback host (or the configured base URL's host).
        if (context.Connection.LocalIpAddress is { } local && System.Net.IPAddress.IsLoopback(local) && !OriginPolicy.IsLoopbackOrSelfHost(context.Request.Host.Host, current))
        {
            throw new GatewayHttpException(StatusCodes.Status421MisdirectedRequest, "host_not_allowed",
                $"Host '{context.Request.Host}' does not name this gateway; on a loopback address only loopback host names (or hosting.base_url's host) are accepted.");
        }
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || OriginPolicy.IsAllowed(origin, context, current))
        {
            return;
        }
        throw new GatewayHttpException(StatusCodes.Status403Forbidden, "origin_not_allowed",
            $"Origin '{origin}' is not allowed to call this endpoint; add it to security.allowed_origins.");
    }

    /// <summary>Writes the gateway's JSON error body unless the response has already started.</summary>
    /// <remarks><paramref name="oauth"/> adds RFC 6749's <c>error_description</c> (the routes of the authorization server).</remarks>
    public static async Task WriteErrorAsync(HttpContext context, int status, string code, string message, string? correlationId, IReadOnlyDictionary<string, string>? headers = null, bool oauth = false)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (correlationId is not null)
        {
            context.Response.Headers["X-Correlation-Id"] = correlationId;
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        await context.Response.WriteAsJsonAsync(new ErrorBody(code, message, correlationId) { ErrorDescription = oauth ? message : null }, HostingJsonContext.Default.ErrorBody, contentType: "application/json", cancellationToken: CancellationToken.None);
    }

    // 429 with Retry-After; on /mcp the body is a JSON-RPC error (what an MCP client reads), elsewhere the usual error body.
    // Both name the kind of partition (subject, client, address), never its value.
    private async Task WriteRateLimitedAsync(HttpContext context, GatewayRoute route, Limits.RateLimitRefusal refusal, string traceId)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(refusal.RetryAfter.TotalSeconds));
        var kind = Limits.RateLimitKinds.Name(refusal.Kind);
        var setting = Limits.RateLimitKinds.Setting(refusal.Kind);
        var message = $"Rate limited: too many requests from this {kind} (security.rate_limits.{setting}); retry after {seconds} s.";
        LogRateLimited(logger, route.Name, kind);
        GatewayMetrics.RecordRateLimited(setting, route.Name);
        var headers = new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (!route.ServesMcp)
        {
            await WriteErrorAsync(context, StatusCodes.Status429TooManyRequests, route.OAuthErrors ? "too_many_requests" : "rate_limited", message, traceId, headers, route.OAuthErrors);
            return;
        }
        if (HttpMethods.IsPost(context.Request.Method) && !context.Request.Body.CanSeek && context.Request.ContentLength is > 0 and <= 64 * 1024)
        {
            // Refused before the body was read (by address): read a small one now, only to answer with the request's id
            // (a flood over the limit must not make the gateway read megabytes for that).
            try
            {
                await BufferRequestBodyAsync(context);
            }
            catch (GatewayHttpException)
            {
                // Too large or broken: answer without an id.
            }
        }
        await Gateway.McpErrors.WriteJsonRpcErrorAsync(context, StatusCodes.Status429TooManyRequests, await Gateway.McpErrors.RequestIdAsync(context), -32000, message,
            new System.Text.Json.Nodes.JsonObject { ["rate_limited"] = true, ["partition"] = kind, ["limit"] = setting, ["retry_after_seconds"] = seconds }, headers);
    }

    [LoggerMessage(Message = "{Method} {Route} answered {Status} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequestHandled(ILogger logger, LogLevel level, string method, string route, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request to {Route} refused with {Status} ({Code})")]
    private static partial void LogRequestRefused(ILogger logger, string route, int status, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request to {Route} refused with 429: rate limited per {Partition}")]
    private static partial void LogRateLimited(ILogger logger, string route, string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request to {Route} answered 503: {Reason}")]
    private static partial void LogStorageUnavailable(ILogger logger, string route, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in route {Route}")]
    private static partial void LogUnhandled(ILogger logger, string route, Exception exception);
}
