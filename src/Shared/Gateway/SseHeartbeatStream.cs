namespace MasterMcp.Gateway;

/// <summary>
/// Wraps a response body and, while the response is an SSE stream, writes an SSE comment line (<c>: keep-alive</c>)
/// whenever nothing was written for the interval. Proxies cut idle streams (Cloudflare after 100 s, Azure's front end after
/// 230 s); a comment keeps the connection busy without clients seeing an event. Heartbeats go only between events (after
/// a blank line), never inside one, and writes are serialized with the SDK's own writes.
/// </summary>
internal sealed class SseHeartbeatStream : Stream
{
    private static readonly byte[] Comment = ": keep-alive\n\n"u8.ToArray();

    private readonly Stream _inner;
    private readonly Func<bool> _isEventStream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _intervalMs;
    private readonly ITimer _timer;
    private long _lastWrite = Environment.TickCount64;
    private bool _atEventBoundary = true;
    private bool _started;
    private volatile bool _stopped;
    private int _beating;
    private Task _beat = Task.CompletedTask;
    private ushort _tail;

    /// <remarks>
    /// A plain timer, not an async loop waiting on a cancellable token: most responses end long before the first tick, and
    /// stopping a loop by cancelling it threw an <see cref="OperationCanceledException"/> for every MCP request.
    /// </remarks>
    public SseHeartbeatStream(Stream inner, TimeSpan interval, Func<bool> isEventStream)
    {
        _inner = inner;
        _isEventStream = isEventStream;
        _intervalMs = (long)interval.TotalMilliseconds;
        _timer = TimeProvider.System.CreateTimer(static state => ((SseHeartbeatStream)state!).Tick(), this, interval / 2, interval / 2);
    }

    /// <summary>How many heartbeats were written (for diagnostics and tests).</summary>
    public int HeartbeatCount { get; private set; }

    private void Tick()
    {
        if (_stopped || !_started || !_atEventBoundary || Environment.TickCount64 - Interlocked.Read(ref _lastWrite) < _intervalMs || !_isEventStream()
            || Interlocked.Exchange(ref _beating, 1) == 1)
        {
            return;
        }
        _beat = BeatAsync();
    }

    private async Task BeatAsync()
    {
        try
        {
            await _gate.WaitAsync();
            try
            {
                if (!_stopped && _atEventBoundary)
                {
                    await _inner.WriteAsync(Comment);
                    await _inner.FlushAsync();
                    Interlocked.Exchange(ref _lastWrite, Environment.TickCount64);
                    HeartbeatCount++;
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The response ended or the client left.
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await _inner.WriteAsync(buffer, cancellationToken);
            Track(buffer.Span);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        _gate.Wait();
        try
        {
            _inner.Write(buffer, offset, count);
            Track(buffer.AsSpan(offset, count));
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await _inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Flush() => _inner.Flush();

    private void Track(ReadOnlySpan<byte> written)
    {
        if (written.Length == 0)
        {
            return;
        }
        _started = true;
        // The SDK may write an event in pieces; an event is complete when the bytes so far end with a blank line.
        foreach (var b in written.Length > 2 ? written[^2..] : written)
        {
            _tail = (ushort)((_tail << 8) | b);
        }
        _atEventBoundary = _tail == ('\n' << 8 | '\n');
        Interlocked.Exchange(ref _lastWrite, Environment.TickCount64);
    }

    /// <summary>Stops the heartbeat (and waits for one being written); call before the response completes.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _timer.DisposeAsync();
        await _beat;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stopped = true;
            _timer.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
