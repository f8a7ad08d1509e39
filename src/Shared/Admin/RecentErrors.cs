using Microsoft.Extensions.Logging;

namespace MasterMcp.Admin;

/// <summary>
/// The last <see cref="Capacity"/> warnings and errors this instance logged (GET /admin/api/errors), kept in a bounded ring:
/// a logger provider, so every part of the gateway contributes without knowing about it. Messages are the formatted log
/// messages, which the gateway already keeps free of tokens and secrets (LogRedactionTests).
/// </summary>
public sealed class RecentErrors(TimeProvider time) : ILoggerProvider
{
    /// <summary>How many entries are kept; older ones are dropped.</summary>
    public const int Capacity = 200;

    private readonly Lock _gate = new();
    private readonly Queue<RecentError> _entries = new(Capacity);

    /// <summary>The entries, newest first.</summary>
    public IReadOnlyList<RecentError> Snapshot()
    {
        lock (_gate)
        {
            return [.. _entries.Reverse()];
        }
    }

    internal void Add(RecentError entry)
    {
        lock (_gate)
        {
            if (_entries.Count == Capacity)
            {
                _entries.Dequeue();
            }
            _entries.Enqueue(entry);
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(RecentErrors owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            // The exception's type only: messages of third-party exceptions are not under the gateway's redaction rules.
            owner.Add(new RecentError(owner.Now(), logLevel.ToString(), category, formatter(state, exception), exception?.GetType().Name,
                System.Diagnostics.Activity.Current?.TraceId.ToHexString()));
        }
    }

    private DateTimeOffset Now() => time.GetUtcNow();
}

/// <summary>One logged warning or error.</summary>
public sealed record RecentError(DateTimeOffset At, string Level, string Category, string Message, string? Exception, string? TraceId);
