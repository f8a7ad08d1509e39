using MasterMcp.Credentials;
using MasterMcp.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;

namespace MasterMcp.Observability;

/// <summary>
/// "Connect your account first" is the normal path of a per-user backend, but the MCP SDK logs every exception a tool
/// handler throws — <see cref="UrlElicitationRequiredException"/> (the -32042 error) and the tool-error link for older
/// clients included — as an Error with a stack trace plus a Warning, and logging filters cannot see exceptions. This
/// decorates the logger factory so the SDK's two entries for exactly these exceptions are dropped; the gateway's own
/// one-line Information entry ("needs the user to connect") says what happened. Every other entry passes unchanged.
/// </summary>
public sealed class ConsentRequiredLogFilter(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>Decorates the registered <see cref="ILoggerFactory"/> (registered by the host before the gateway's services).</summary>
    public static void Register(IServiceCollection services)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory) && !d.IsKeyedService);
        if (original?.ImplementationType is not { } implementation)
        {
            // No factory type to decorate (e.g. a test host that registered an instance): leave logging as it is.
            return;
        }
        services.Remove(original);
        services.AddSingleton(implementation);
        services.AddSingleton<ILoggerFactory>(sp => new ConsentRequiredLogFilter((ILoggerFactory)sp.GetRequiredService(implementation)));
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("ModelContextProtocol.", StringComparison.Ordinal) ? new Filtered(logger) : logger;
    }

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The inner factory is owned by the container, which disposes it.</summary>
    public void Dispose()
    {
    }

    /// <summary>True for the exceptions that only mean "the user must connect first".</summary>
    public static bool IsConsentRequired(Exception? exception) =>
        ExceptionChain.Find<UrlElicitationRequiredException>(exception) is not null || ExceptionChain.Find<ConnectLinkException>(exception) is not null;

    private sealed class Filtered(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsConsentRequired(exception))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
