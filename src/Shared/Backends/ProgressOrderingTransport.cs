using System.Threading.Channels;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Backends;

/// <summary>
/// A backend transport that tells the <see cref="ProgressRelay"/> about each progress notification as the session reads
/// it, in the order it arrived. The SDK client then handles messages concurrently (a response can complete its call before
/// the progress notifications sent ahead of it were handled); the count taken here lets a call wait for exactly those.
/// </summary>
internal sealed class ProgressOrderingTransport(IClientTransport inner, ProgressRelay progress) : IClientTransport
{
    /// <inheritdoc />
    public string Name => inner.Name;

    /// <inheritdoc />
    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default) =>
        new Session(await inner.ConnectAsync(cancellationToken), progress);

    private sealed class Session(ITransport inner, ProgressRelay progress) : ITransport
    {
        private readonly Reader _reader = new(inner.MessageReader, progress);

        public string? SessionId => inner.SessionId;

        public ChannelReader<JsonRpcMessage> MessageReader => _reader;

        public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => inner.SendMessageAsync(message, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class Reader(ChannelReader<JsonRpcMessage> inner, ProgressRelay progress) : ChannelReader<JsonRpcMessage>
    {
        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool CanPeek => inner.CanPeek;

        public override bool TryPeek(out JsonRpcMessage item) => inner.TryPeek(out item!);

        public override bool TryRead(out JsonRpcMessage item)
        {
            if (!inner.TryRead(out item!))
            {
                return false;
            }
            if (item is JsonRpcNotification { Method: NotificationMethods.ProgressNotification } notification)
            {
                progress.Arrived(notification.Params);
            }
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}
