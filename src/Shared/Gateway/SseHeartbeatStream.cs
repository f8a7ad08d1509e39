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
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _lastWrite = Environment.TickCount64;
    private bool _atEventBoundary = true;
    private bool _started;
    private ushort _tail;

    public SseHeartbeatStream(Stream inner, TimeSpan interval, Func<bool> isEventStream)
    {
        _inner = inner;
        _isEventStream = isEventStream;
        _loop = RunAsync(interval);
    }

    /// <summary>How many heartbeats were written (for diagnostics and tests).</summary>
    public int HeartbeatCount { get; private set; }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (!_started || !_atEventBoundary || Environment.TickCount64 - Interlocked.Read(ref _lastWrite) < interval.TotalMilliseconds || !_isEventStream())
                {
                    continue;
                }
                await _gate.WaitAsync(_stop.Token);
                try
                {
                    if (_atEventBoundary)
                    {
                        await _inner.WriteAsync(Comment, _stop.Token);
                        await _inner.FlushAsync(_stop.Token);
                        Interlocked.Exchange(ref _lastWrite, Environment.TickCount64);
                        HeartbeatCount++;
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The response ended or the client left.
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

    /// <summary>Stops the heartbeat; call before the response completes.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _stop.Dispose();
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
