using System.Diagnostics;
using MasterMcp.Configuration;
using Microsoft.Extensions.Logging;


namespace MasterMcp.Observability;

/// <summary>Structured console logging: JSON or plain lines, the level from config (changeable on reload), the W3C trace id on every line of a request.</summary>
public static class GatewayLogging
{
    private static volatile int s_minimum = (int)LogLevel.Information;

    /// <summary>The level currently in force.</summary>
    public static LogLevel MinimumLevel => (LogLevel)s_minimum;

    /// <summary>Applies a level from config (e.g. on reload).</summary>
    public static void SetLevel(string level) => s_minimum = (int)ParseLevel(level);

    /// <summary>Maps config level names (trace, debug, info, warn, …) to <see cref="LogLevel"/>.</summary>
    public static LogLevel ParseLevel(string level) => level.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => LogLevel.Information,
    };

    /// <summary>Configures console logging for the standalone host.</summary>
    public static void ConfigureConsole(ILoggingBuilder logging, LoggingOptions options)
    {
        logging.ClearProviders();
        if (string.Equals(options.Format, "plain", StringComparison.OrdinalIgnoreCase))
        {
            logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        else
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        ConfigureCommon(logging, options);
    }

    /// <summary>Level filter and trace-id scopes; used by both hosts.</summary>
    public static void ConfigureCommon(ILoggingBuilder logging, LoggingOptions options)
    {
        SetLevel(options.Level);
        logging.SetMinimumLevel(LogLevel.Trace);
        logging.AddFilter((category, level) => IsAudit(category, level) || (level >= MinimumLevel && (level >= LogLevel.Warning || (!IsNoisy(category) && !LogsQueryStrings(category)))));
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
    }

    // Audit events are a record, not diagnostics: a quieter logging.level (warning, error) keeps them; only "none" stops them.
    private static bool IsAudit(string? category, LogLevel level) =>
        level >= LogLevel.Information && MinimumLevel != LogLevel.None && category == Audit.AuditTrail.Category;

    // Framework and SDK request logs repeat what our own lines say; keep them to warnings unless the level is debug or trace.
    private static bool IsNoisy(string? category) =>
        MinimumLevel > LogLevel.Debug && category is not null &&
        (category.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal)
         || category.StartsWith("System.Net.Http.", StringComparison.Ordinal)
         || category.StartsWith("ModelContextProtocol.", StringComparison.Ordinal));

    // ASP.NET's own request lines include query strings, which carry one-time OAuth codes, states and connect-link ids;
    // the pipeline logs every request itself (method, route, status, time) without them, so these stay off at every level.
    private static bool LogsQueryStrings(string? category) =>
        category is not null && category.StartsWith("Microsoft.AspNetCore.Hosting.Diagnostics", StringComparison.Ordinal);

    /// <summary>The trace id of the current request, if any.</summary>
    public static string? CurrentTraceId => Activity.Current?.TraceId.ToHexString();
}
