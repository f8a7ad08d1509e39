using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MasterMcp.Scaleout;

/// <summary>
/// The response of a request served for another instance: what the handler writes is buffered until it flushes, then
/// published to the requesting instance — status and headers with the first bytes, more bytes per flush, then the end.
/// A short response that never flushes travels as one message.
/// </summary>
internal sealed class TunnelResponse : Stream, IHttpResponseFeature, IHttpResponseBodyFeature
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade" };

    private readonly Func<byte[], Task> _publish;
    private readonly Guid _exchange;
    private readonly Lock _bufferGate = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly List<(Func<object, Task> Callback, object State)> _onStarting = [];
    private readonly List<(Func<object, Task> Callback, object State)> _onCompleted = [];
    private MemoryStream _pending = new();
    private PipeWriter? _writer;
    private bool _headSent;
    private bool _completed;
    private bool _writeThrough;

    public TunnelResponse(Func<byte[], Task> publish, Guid exchange)
    {
        _publish = publish;
        _exchange = exchange;
    }

    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

    [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
    public Stream Body { get => this; set => throw new NotSupportedException("The body of a forwarded response cannot be replaced at the feature level."); }

    public bool HasStarted { get; private set; }

    Stream IHttpResponseBodyFeature.Stream => this;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public void OnStarting(Func<object, Task> callback, object state)
    {
        if (HasStarted)
        {
            throw new InvalidOperationException("The response has already started.");
        }
        _onStarting.Add((callback, state));
    }

    public void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Add((callback, state));

    /// <summary>
    /// As on Kestrel, every write then goes out at once: an SSE answer must reach the client event by event even when the
    /// writer never flushes (the SDK replays a resumed stream with <c>SseFormatter</c>, which writes without flushing).
    /// </summary>
    public void DisableBuffering() => _writeThrough = true;

    public Task StartAsync(CancellationToken cancellationToken = default) => FlushAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Files are not sent through the backplane.");

    /// <summary>Sends what is left and the end of the response (once).</summary>
    public async Task CompleteAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }
        await _sendGate.WaitAsync();
        try
        {
            if (_completed)
            {
                return;
            }
            _completed = true;
            await SendAsync(final: true);
        }
        finally
        {
            _sendGate.Release();
        }
        foreach (var (callback, state) in _onCompleted)
        {
            await callback(state);
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken);
        try
        {
            if (!_completed)
            {
                await SendAsync(final: false);
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_bufferGate)
        {
            _pending.Write(buffer);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return _writeThrough && buffer.Length > 0 ? new ValueTask(FlushAsync(cancellationToken)) : ValueTask.CompletedTask;
    }

    // Called under _sendGate.
    private async Task SendAsync(bool final)
    {
        if (!HasStarted)
        {
            HasStarted = true;
            // ASP.NET runs OnStarting callbacks in reverse order of registration.
            for (var i = _onStarting.Count - 1; i >= 0; i--)
            {
                await _onStarting[i].Callback(_onStarting[i].State);
            }
        }
        byte[] chunk;
        lock (_bufferGate)
        {
            chunk = _pending.ToArray();
            _pending = new MemoryStream();
        }
        if (!_headSent)
        {
            _headSent = true;
            var head = new TunnelResponseHead(StatusCode, Headers.Where(h => !HopByHop.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase), final);
            await _publish(TunnelFrame.Encode(TunnelFrameKind.Head, _exchange, JsonSerializer.SerializeToUtf8Bytes(head, TunnelJsonContext.Default.TunnelResponseHead), chunk));
            return;
        }
        if (chunk.Length > 0)
        {
            await _publish(TunnelFrame.Encode(TunnelFrameKind.Data, _exchange, body: chunk));
        }
        if (final)
        {
            await _publish(TunnelFrame.Encode(TunnelFrameKind.End, _exchange));
        }
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sendGate.Dispose();
            _pending.Dispose();
        }
        base.Dispose(disposing);
    }
}
