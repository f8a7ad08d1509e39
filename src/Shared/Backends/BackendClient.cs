using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Backends;

/// <summary>
/// One backend session: a lazily connected <see cref="McpClient"/> for one owner (the shared catalog connection, or one
/// downstream client session). Failed connects back off exponentially so a dead backend fails fast instead of stalling
/// every request; a crashed process or dropped session is noticed through <see cref="McpClient.Completion"/> and reconnected.
/// </summary>
public sealed partial class BackendClient : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);

    private readonly Func<BackendDefinition, CancellationToken, Task<McpClient>> _connect;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private McpClient? _client;
    private TimeSpan _backoff = FirstBackoff;
    private DateTimeOffset _retryAfter = DateTimeOffset.MinValue;

    public BackendClient(BackendDefinition definition, string owner, Func<BackendDefinition, CancellationToken, Task<McpClient>> connect, TimeProvider time, ILogger logger)
    {
        Definition = definition;
        Owner = owner;
        _connect = connect;
        _time = time;
        _logger = logger;
        LastUsed = time.GetUtcNow();
    }

    public BackendDefinition Definition { get; }

    /// <summary>"shared", or the downstream session id this backend session belongs to.</summary>
    public string Owner { get; }

    /// <summary>The downstream client this session relays to; null for sessions that belong to no client.</summary>
    public DownstreamLink? Link { get; init; }

    public BackendState State { get; private set; } = BackendState.NotConnected;

    public string? LastError { get; private set; }

    public DateTimeOffset LastUsed { get; private set; }

    /// <summary>Raised (with this client) when a connected session ends unexpectedly.</summary>
    public event Action<BackendClient>? Disconnected;

    /// <summary>The connected client; connects first if needed. Throws <see cref="BackendUnavailableException"/> quickly while backing off.</summary>
    public async Task<McpClient> GetAsync(CancellationToken cancellationToken)
    {
        LastUsed = _time.GetUtcNow();
        if (Volatile.Read(ref _client) is { } ready)
        {
            return ready;
        }
        if (_time.GetUtcNow() < _retryAfter)
        {
            throw new BackendUnavailableException(Definition.Id, LastError ?? "not connected");
        }
        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            if (_client is { } raced)
            {
                return raced;
            }
            if (_time.GetUtcNow() < _retryAfter)
            {
                throw new BackendUnavailableException(Definition.Id, LastError ?? "not connected");
            }
            State = BackendState.Connecting;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            timeout.CancelAfter(Definition.Timeout);
            try
            {
                var client = await _connect(Definition, timeout.Token);
                _client = client;
                State = BackendState.Connected;
                LastError = null;
                _backoff = FirstBackoff;
                LogConnected(_logger, Definition.Id, Owner, client.ServerInfo?.Name, client.NegotiatedProtocolVersion);
                _ = WatchAsync(client);
                return client;
            }
            catch (Exception ex) when (ex is not BackendUnavailableException && !_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var reason = ex is OperationCanceledException ? $"did not answer within {Definition.Timeout.TotalMilliseconds:0} ms" : Describe(ex);
                Fail(reason);
                LogConnectFailed(_logger, Definition.Id, Owner, reason);
                throw new BackendUnavailableException(Definition.Id, reason, ex);
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Marks the session broken after a transport-level failure of a request, so the next use reconnects.</summary>
    public async Task ResetAsync(string reason)
    {
        var client = Interlocked.Exchange(ref _client, null);
        Fail(reason);
        _retryAfter = DateTimeOffset.MinValue;
        if (client is not null)
        {
            LogDisconnected(_logger, Definition.Id, Owner, reason);
            await DisposeQuietlyAsync(client);
            Disconnected?.Invoke(this);
        }
    }

    /// <summary>
    /// Health probe: pings a connected session (a failed ping resets it), or tries to reconnect a failed one once its
    /// backoff has passed. Returns true when the connection state changed either way.
    /// </summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } client)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Definition.Timeout);
            try
            {
                if (client.NegotiatedProtocolVersion is { } version && string.CompareOrdinal(version, "2026-07-28") >= 0)
                {
                    // 2026-07-28 has no ping; server/discover is the cheap request every such server answers.
                    await client.SendRequestAsync<DiscoverRequestParams, DiscoverResult>(RequestMethods.ServerDiscover, new DiscoverRequestParams(), McpJsonUtilities.DefaultOptions, cancellationToken: timeout.Token);
                }
                else
                {
                    await client.PingAsync(cancellationToken: timeout.Token);
                }
                return false;
            }
            catch (McpProtocolException)
            {
                // Any JSON-RPC answer (2026-07-28 backends may not offer ping) proves the backend is alive.
                return false;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                await ResetAsync(ex is OperationCanceledException ? $"did not answer a ping within {Definition.Timeout.TotalMilliseconds:0} ms" : "ping failed: " + Describe(ex));
                return true;
            }
        }
        if (State != BackendState.Failed || _time.GetUtcNow() < _retryAfter)
        {
            return false;
        }
        try
        {
            await GetAsync(cancellationToken);
            return true;
        }
        catch (BackendUnavailableException)
        {
            return false;
        }
    }

    private void Fail(string reason)
    {
        State = BackendState.Failed;
        LastError = reason;
        _retryAfter = _time.GetUtcNow() + _backoff;
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
    }

    private async Task WatchAsync(McpClient client)
    {
        string reason;
        try
        {
            var details = await client.Completion;
            reason = details switch
            {
                StdioClientCompletionDetails stdio => $"process exited with code {stdio.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}",
                { Exception: { } ex } => Describe(ex),
                _ => "session ended",
            };
        }
        catch (Exception ex)
        {
            reason = Describe(ex);
        }
        if (_disposed.IsCancellationRequested || Interlocked.CompareExchange(ref _client, null, client) != client)
        {
            return;
        }
        State = BackendState.Failed;
        LastError = reason;
        // A crash is retried soon, then with growing delays if it keeps crashing.
        _retryAfter = _time.GetUtcNow() + _backoff;
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
        LogDisconnected(_logger, Definition.Id, Owner, reason);
        await DisposeQuietlyAsync(client);
        Disconnected?.Invoke(this);
    }

    /// <summary>A short description of a failure, without stack traces.</summary>
    public static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null && inner is not HttpRequestException && inner is not IOException)
        {
            inner = inner.InnerException;
        }
        return inner.Message;
    }

    private static async Task DisposeQuietlyAsync(McpClient client)
    {
        try
        {
            await client.DisposeAsync();
        }
        catch (Exception)
        {
            // Disposal of a broken session may throw; the process and sockets are gone either way.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        _disposed.Cancel();
        var client = Interlocked.Exchange(ref _client, null);
        State = BackendState.NotConnected;
        if (client is not null)
        {
            await DisposeQuietlyAsync(client);
        }
        _disposed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {BackendId} connected for {Owner}: {ServerName}, protocol {ProtocolVersion}")]
    private static partial void LogConnected(ILogger logger, string backendId, string owner, string? serverName, string? protocolVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {BackendId} could not be connected for {Owner}: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string backendId, string owner, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {BackendId} session for {Owner} ended: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string backendId, string owner, string reason);
}
