using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Credentials;

/// <summary>An in-process logger provider that keeps every message at every level, with its structured values and exceptions.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join("\n", _lines);

    /// <summary>The entries so far, in order (an entry with an exception spans several text lines).</summary>
    public IReadOnlyList<string> Entries => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lines.Enqueue("scope " + state);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    line.Append(" | ").Append(key).Append('=').Append(value);
                }
            }
            if (exception is not null)
            {
                line.Append('\n').Append(exception);
            }
            lines.Enqueue(line.ToString());
        }
    }
}
