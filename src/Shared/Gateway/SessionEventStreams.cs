using System.Collections.Concurrent;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MasterMcp.Backends;
using MasterMcp.Configuration;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Gateway;

#pragma warning disable MCP9006 // The SDK marks its event store types back-compat-only; they are what 2025-11-25 sessions resume with.

/// <summary>
/// The SSE event store behind priming events and <c>Last-Event-ID</c> resumption, kept in the memory of the instance that
/// owns the session: a resumption reaching another instance is carried to the owner like any request of the session, and a
/// session dies with its owner, so nothing would read events kept elsewhere. Each stream keeps at most
/// <c>sessions.stream_buffer_events</c> events, each for at most the session idle timeout; a reader waits for the next write
/// (no polling); a session's streams go when it ends. Every POST answered over SSE leaves a finished stream: it stays
/// resumable for <see cref="FinishedStreamGrace"/> (a client that lost the connection comes back at once), and a session
/// keeps at most <see cref="FinishedStreamsPerSession"/> of them, so memory does not grow with the calls a session makes.
/// Event contents are never logged.
/// </summary>
public sealed partial class SessionEventStreams : ISseEventStreamStore
{
    /// <summary>How long a finished stream (a POST answered) stays resumable, unless the idle timeout is shorter.</summary>
    public static readonly TimeSpan FinishedStreamGrace = TimeSpan.FromSeconds(30);

    /// <summary>Finished streams a session keeps; the oldest goes first.</summary>
    public const int FinishedStreamsPerSession = 16;

    private readonly ConcurrentDictionary<string, EventStream> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _finished = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly ILogger<SessionEventStreams> _logger;

    public SessionEventStreams(TimeProvider time, IOptionsMonitor<GatewayOptions> options, DownstreamSessions sessions, ILogger<SessionEventStreams> logger)
    {
        _time = time;
        _options = options;
        _logger = logger;
        sessions.Ended += EndSession;
    }

    /// <summary>What a <c>Last-Event-ID</c> allows.</summary>
    public enum Resumption
    {
        /// <summary>Every event after it is still held.</summary>
        Complete,

        /// <summary>Not an id of a stream held here (malformed, never issued, or its stream ended and expired).</summary>
        Unknown,

        /// <summary>Its stream is held, but some events after it were dropped (buffer full or older than the idle timeout).</summary>
        EventsLost,
    }

    /// <summary>Streams held (for diagnostics and tests).</summary>
    public int StreamCount => _streams.Count;

    /// <summary>Events held over all streams (for diagnostics and tests).</summary>
    public int EventCount => _streams.Values.Sum(s => s.Count);

    /// <inheritdoc />
    public ValueTask<ISseEventStreamWriter> CreateStreamAsync(SseEventStreamOptions options, CancellationToken cancellationToken = default)
    {
        // A random key per stream: event ids reveal nothing and cannot be guessed; the reader still names the session so
        // the SDK can check that a Last-Event-ID belongs to the session presenting it.
        var key = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        var stream = new EventStream(this, key, options.SessionId, options.StreamId, options.Mode, Math.Max(1, _options.CurrentValue.Sessions.StreamBufferEvents));
        _streams[key] = stream;
        return ValueTask.FromResult<ISseEventStreamWriter>(stream);
    }

    /// <inheritdoc />
    public ValueTask<ISseEventStreamReader?> GetStreamReaderAsync(string lastEventId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<ISseEventStreamReader?>(Find(lastEventId, out var stream, out var sequence) == Resumption.Complete ? new Reader(stream!, sequence) : null);

    /// <summary>Whether the events after <paramref name="lastEventId"/> can be replayed to session <paramref name="sessionId"/>.</summary>
    public Resumption Check(string lastEventId, string sessionId) =>
        Find(lastEventId, out var stream, out _) is var found && stream?.SessionId == sessionId ? found : Resumption.Unknown;

    /// <summary>How many events are held after <paramref name="lastEventId"/> (diagnostics and tests; 0 when it is unknown).</summary>
    public int CountAfter(string lastEventId) =>
        Find(lastEventId, out var stream, out var sequence) == Resumption.Complete && stream!.Next(sequence) is { } batch ? batch.Items.Count : 0;

    /// <summary>Drops expired events and the streams that ended and stayed idle for the idle timeout.</summary>
    public void Sweep()
    {
        var now = _time.GetTimestamp();
        var keep = _options.CurrentValue.Sessions.IdleTimeout;
        var finishedKeep = keep < FinishedStreamGrace ? keep : FinishedStreamGrace;
        foreach (var (key, stream) in _streams)
        {
            if (stream.Expire(now, keep, finishedKeep))
            {
                _streams.TryRemove(key, out _);
            }
        }
        foreach (var (sessionId, keys) in _finished)
        {
            while (keys.TryPeek(out var key) && !_streams.ContainsKey(key))
            {
                keys.TryDequeue(out _);
            }
            if (keys.IsEmpty)
            {
                _finished.TryRemove(new KeyValuePair<string, ConcurrentQueue<string>>(sessionId, keys));
            }
        }
    }

    /// <summary>A stream's writer is done: past the per-session bound, the session's oldest finished stream goes.</summary>
    private void Finished(EventStream stream)
    {
        if (!_streams.ContainsKey(stream.Key))
        {
            return;
        }
        var keys = _finished.GetOrAdd(stream.SessionId, _ => new ConcurrentQueue<string>());
        keys.Enqueue(stream.Key);
        while (keys.Count > FinishedStreamsPerSession && keys.TryDequeue(out var oldest))
        {
            _streams.TryRemove(oldest, out _);
        }
    }

    private void EndSession(string sessionId)
    {
        _finished.TryRemove(sessionId, out _);
        foreach (var (key, stream) in _streams)
        {
            if (stream.SessionId == sessionId && _streams.TryRemove(key, out _))
            {
                stream.Complete();
            }
        }
    }

    private Resumption Find(string lastEventId, out EventStream? stream, out long sequence)
    {
        stream = null;
        sequence = 0;
        var separator = lastEventId.LastIndexOf(':');
        if (separator <= 0
            || !long.TryParse(lastEventId.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
            || !_streams.TryGetValue(lastEventId[..separator], out stream))
        {
            return Resumption.Unknown;
        }
        return stream.Holds(sequence);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An SSE stream dropped its oldest events: it holds at most {Capacity} (sessions.stream_buffer_events); a client resuming from before them is refused")]
    private static partial void LogOverflow(ILogger logger, int capacity);

    /// <summary>One SSE stream (a session's GET stream or one POST's answer): its events in order, and who waits for more.</summary>
    private sealed class EventStream(SessionEventStreams owner, string key, string sessionId, string streamId, SseEventStreamMode mode, int capacity) : ISseEventStreamWriter
    {
        private readonly Lock _gate = new();
        private readonly Queue<(long Sequence, long WrittenAt, SseItem<JsonRpcMessage?> Item)> _events = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _last;
        private long _firstHeld = 1;
        private long _lastActivity = owner._time.GetTimestamp();
        private bool _completed;
        private bool _overflowLogged;
        private SseEventStreamMode _mode = mode;

        public string Key => key;

        public string SessionId => sessionId;

        public string StreamId => streamId;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _events.Count;
                }
            }
        }

        public ValueTask SetModeAsync(SseEventStreamMode mode, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                _mode = mode;
                Pulse();
            }
            return ValueTask.CompletedTask;
        }

        public ValueTask<SseItem<JsonRpcMessage?>> WriteEventAsync(SseItem<JsonRpcMessage?> sseItem, CancellationToken cancellationToken = default)
        {
            if (sseItem.EventId is not null)
            {
                // Already stored (the SDK passes replayed items through unchanged).
                return ValueTask.FromResult(sseItem);
            }
            bool overflowed;
            lock (_gate)
            {
                var sequence = ++_last;
                sseItem = sseItem with { EventId = key + ":" + sequence.ToString(CultureInfo.InvariantCulture) };
                _lastActivity = owner._time.GetTimestamp();
                _events.Enqueue((sequence, _lastActivity, sseItem));
                overflowed = false;
                while (_events.Count > capacity)
                {
                    _firstHeld = _events.Dequeue().Sequence + 1;
                    overflowed = true;
                }
                overflowed &= !_overflowLogged;
                _overflowLogged |= overflowed;
                Pulse();
            }
            if (overflowed)
            {
                LogOverflow(owner._logger, capacity);
            }
            return ValueTask.FromResult(sseItem);
        }

        /// <summary>The writer is done (the POST answered, or the session's transport was disposed).</summary>
        public ValueTask DisposeAsync()
        {
            Complete();
            return ValueTask.CompletedTask;
        }

        public void Complete()
        {
            lock (_gate)
            {
                if (_completed)
                {
                    return;
                }
                _completed = true;
                _lastActivity = owner._time.GetTimestamp();
                Pulse();
            }
            owner.Finished(this);
        }

        public Resumption Holds(long after)
        {
            lock (_gate)
            {
                return after > _last ? Resumption.Unknown : after + 1 < _firstHeld ? Resumption.EventsLost : Resumption.Complete;
            }
        }

        /// <summary>
        /// Drops events older than <paramref name="keep"/>; true when the whole stream may go (ended and idle for
        /// <paramref name="finishedKeep"/>).
        /// </summary>
        public bool Expire(long now, TimeSpan keep, TimeSpan finishedKeep)
        {
            lock (_gate)
            {
                while (_events.TryPeek(out var oldest) && owner._time.GetElapsedTime(oldest.WrittenAt, now) > keep)
                {
                    _firstHeld = _events.Dequeue().Sequence + 1;
                }
                return _completed && owner._time.GetElapsedTime(_lastActivity, now) > finishedKeep;
            }
        }

        /// <summary>
        /// The events after <paramref name="after"/> (empty when none yet), whether more can come, and what to wait on;
        /// null when some of them were dropped (the reader ends; the client's next resumption is refused with the reason).
        /// </summary>
        public (List<(long Sequence, SseItem<JsonRpcMessage?> Item)> Items, bool More, Task Changed)? Next(long after)
        {
            lock (_gate)
            {
                if (after + 1 < _firstHeld)
                {
                    return null;
                }
                var items = new List<(long, SseItem<JsonRpcMessage?>)>();
                foreach (var (sequence, _, item) in _events)
                {
                    if (sequence > after)
                    {
                        items.Add((sequence, item));
                    }
                }
                return (items, !_completed && _mode == SseEventStreamMode.Streaming, _changed.Task);
            }
        }

        // Under _gate.
        private void Pulse()
        {
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private sealed class Reader(EventStream stream, long after) : ISseEventStreamReader
    {
        public string SessionId => stream.SessionId;

        public string StreamId => stream.StreamId;

        public async IAsyncEnumerable<SseItem<JsonRpcMessage?>> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var next = after;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (stream.Next(next) is not { } batch)
                {
                    yield break;
                }
                foreach (var (sequence, item) in batch.Items)
                {
                    yield return item;
                    next = sequence;
                }
                if (batch.Items.Count > 0)
                {
                    // Written while these were sent? Look again before waiting.
                    continue;
                }
                if (!batch.More)
                {
                    yield break;
                }
                // The client leaving ends the stream quietly (no exception through the SDK's copy loop).
                await batch.Changed.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
