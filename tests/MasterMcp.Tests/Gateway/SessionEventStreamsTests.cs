using System.Net.ServerSentEvents;
using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Gateway;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Tests.Gateway;

#pragma warning disable MCP9006 // The SDK's event store types are back-compat-only; they are what is under test.

/// <summary>The owner-local SSE event store: replay after an id, live delivery without polling, bounds, expiry, session end.</summary>
public sealed class SessionEventStreamsTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);

    /// <summary>Only so that a broken store fails the test instead of hanging it; the waits themselves are on signals.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly DownstreamSessions _sessions;
    private readonly SessionEventStreams _store;

    public SessionEventStreamsTests()
    {
        _sessions = new DownstreamSessions(_time);
        _store = Store(capacity: 4);
    }

    [Fact]
    public async Task Reader_ReplaysEventsAfterTheId_InOrder_ThenDeliversNewOnesAsWritten_AndEndsWithTheWriter()
    {
        var writer = await CreateAsync("s1");
        var ids = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            ids.Add((await writer.WriteEventAsync(Message(i))).EventId!);
        }
        Assert.Equal(3, ids.Distinct().Count());

        var reader = (await _store.GetStreamReaderAsync(ids[0]))!;
        Assert.Equal("s1", reader.SessionId);
        await using var events = reader.ReadEventsAsync().GetAsyncEnumerator();
        Assert.Equal(2, await NextAsync(events));
        Assert.Equal(3, await NextAsync(events));

        // Nothing more yet: the reader waits for the next write, which wakes it (no polling, no clock involved).
        var waiting = events.MoveNextAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        await writer.WriteEventAsync(Message(4));
        Assert.True(await waiting.WaitAsync(Bound));
        Assert.Equal(4, Number(events.Current));

        var end = events.MoveNextAsync().AsTask();
        await writer.DisposeAsync();
        Assert.False(await end.WaitAsync(Bound));
    }

    [Fact]
    public async Task BufferFull_DropsTheOldest_AndAResumptionFromBeforeThem_IsEventsLost_NotAGap()
    {
        var writer = await CreateAsync("s1");
        var ids = new List<string>();
        for (var i = 1; i <= 6; i++)
        {
            ids.Add((await writer.WriteEventAsync(Message(i))).EventId!);
        }
        // Capacity 4 keeps 3..6: after 2 nothing is missing, after 1 event 2 is gone.
        Assert.Equal(SessionEventStreams.Resumption.Complete, _store.Check(ids[1], "s1"));
        Assert.Equal(SessionEventStreams.Resumption.EventsLost, _store.Check(ids[0], "s1"));
        Assert.Null(await _store.GetStreamReaderAsync(ids[0]));
        await writer.DisposeAsync();
        Assert.Equal([3, 4, 5, 6], await ReadAvailableAsync(ids[1]));
        Assert.Equal(4, _store.EventCount);
    }

    [Fact]
    public async Task ReaderFallingBehindTheBuffer_EndsInsteadOfSkipping()
    {
        var writer = await CreateAsync("s1");
        var first = (await writer.WriteEventAsync(Message(1))).EventId!;
        await using var events = (await _store.GetStreamReaderAsync(first))!.ReadEventsAsync().GetAsyncEnumerator();
        for (var i = 2; i <= 7; i++)
        {
            await writer.WriteEventAsync(Message(i));
        }
        // Event 2 was dropped before the reader got to it: the stream ends; the client's resumption then learns why.
        Assert.False(await events.MoveNextAsync());
        Assert.Equal(SessionEventStreams.Resumption.EventsLost, _store.Check(first, "s1"));
    }

    [Fact]
    public async Task Events_ExpireAfterTheIdleTimeout_AndEndedStreamsGo()
    {
        var live = await CreateAsync("s1");
        var first = (await live.WriteEventAsync(Message(1))).EventId!;
        var second = (await live.WriteEventAsync(Message(2))).EventId!;
        var ended = await CreateAsync("s1", "post-1");
        var endedId = (await ended.WriteEventAsync(Message(1))).EventId!;
        await ended.DisposeAsync();
        _time.Advance(Idle / 2);
        await live.WriteEventAsync(Message(3));

        _time.Advance(Idle / 2 + TimeSpan.FromSeconds(1));
        _store.Sweep();

        // The live stream stays (its writer may write again) without its expired events 1 and 2: after 1 something is
        // missing, after 2 nothing is; the ended stream is gone.
        Assert.Equal(SessionEventStreams.Resumption.EventsLost, _store.Check(first, "s1"));
        Assert.Equal(SessionEventStreams.Resumption.Complete, _store.Check(second, "s1"));
        Assert.Equal(1, _store.CountAfter(second));
        Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(endedId, "s1"));
        Assert.Equal(1, _store.StreamCount);
    }

    [Fact]
    public async Task FinishedStream_StaysResumableForTheGrace_ThenGoes_LongBeforeTheIdleTimeout_WhileTheLiveStreamKeepsItsEvents()
    {
        var live = await CreateAsync("s1");
        var liveId = (await live.WriteEventAsync(Message(1))).EventId!;
        await live.WriteEventAsync(Message(2));
        var answered = await CreateAsync("s1", "post-1");
        var answeredId = (await answered.WriteEventAsync(Message(1))).EventId!;
        await answered.WriteEventAsync(Message(2));
        await answered.DisposeAsync();

        _time.Advance(SessionEventStreams.FinishedStreamGrace - TimeSpan.FromSeconds(1));
        _store.Sweep();
        Assert.Equal([2], await ReadAvailableAsync(answeredId));

        _time.Advance(TimeSpan.FromSeconds(2));
        _store.Sweep();
        Assert.True(SessionEventStreams.FinishedStreamGrace < Idle);
        Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(answeredId, "s1"));
        Assert.Equal(SessionEventStreams.Resumption.Complete, _store.Check(liveId, "s1"));
        Assert.Equal(1, _store.CountAfter(liveId));
        Assert.Equal(1, _store.StreamCount);
    }

    [Fact]
    public async Task ManyAnsweredCalls_LeaveAtMostTheBoundOfFinishedStreams_PerSession_TheNewestStayResumable()
    {
        var live = await CreateAsync("s1");
        var liveId = (await live.WriteEventAsync(Message(1))).EventId!;
        var other = await CreateAsync("s2", "post-other");
        var otherId = (await other.WriteEventAsync(Message(1))).EventId!;
        await other.WriteEventAsync(Message(2));
        await other.DisposeAsync();
        var ids = new List<string>();
        for (var call = 0; call < 100; call++)
        {
            var answer = await CreateAsync("s1", "post-" + call);
            ids.Add((await answer.WriteEventAsync(Message(1))).EventId!);
            await answer.WriteEventAsync(Message(2));
            await answer.DisposeAsync();
        }

        // No clock moved: the bound alone keeps memory flat however many calls a session makes.
        Assert.Equal(1 + 1 + SessionEventStreams.FinishedStreamsPerSession, _store.StreamCount);
        Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(ids[0], "s1"));
        Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(ids[^(SessionEventStreams.FinishedStreamsPerSession + 1)], "s1"));
        Assert.Equal([2], await ReadAvailableAsync(ids[^SessionEventStreams.FinishedStreamsPerSession]));
        Assert.Equal([2], await ReadAvailableAsync(ids[^1]));
        Assert.Equal(SessionEventStreams.Resumption.Complete, _store.Check(liveId, "s1"));
        Assert.Equal([2], await ReadAvailableAsync(otherId));
    }

    [Fact]
    public async Task SessionEnd_DropsItsStreams_AndEndsTheirReaders_OthersStay()
    {
        var mine = await CreateAsync("s1");
        var id = (await mine.WriteEventAsync(Message(1))).EventId!;
        var other = await CreateAsync("s2");
        var otherId = (await other.WriteEventAsync(Message(1))).EventId!;
        await using var events = (await _store.GetStreamReaderAsync(id))!.ReadEventsAsync().GetAsyncEnumerator();
        var waiting = events.MoveNextAsync().AsTask();

        await _sessions.EndAsync("s1");

        Assert.False(await waiting.WaitAsync(Bound));
        Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(id, "s1"));
        Assert.Equal(SessionEventStreams.Resumption.Complete, _store.Check(otherId, "s2"));
        Assert.Equal(0, _store.CountAfter(id));
    }

    [Fact]
    public async Task LastEventId_OfAnotherSession_OrMadeUp_IsUnknown()
    {
        var writer = await CreateAsync("s1");
        var id = (await writer.WriteEventAsync(Message(1))).EventId!;
        Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(id, "s2"));
        foreach (var madeUp in new[] { "", ":", "x:1", id + "0", id.Split(':')[0] + ":-1", id.Split(':')[0] + ":99", "a:b:c" })
        {
            Assert.Equal(SessionEventStreams.Resumption.Unknown, _store.Check(madeUp, "s1"));
            Assert.Null(await _store.GetStreamReaderAsync(madeUp));
        }
    }

    [Fact]
    public async Task PollingMode_ReturnsWhatIsThere_AndEnds()
    {
        var writer = await CreateAsync("s1");
        var first = (await writer.WriteEventAsync(Message(1))).EventId!;
        await writer.WriteEventAsync(Message(2));
        await writer.SetModeAsync(SseEventStreamMode.Polling);
        Assert.Equal([2], await ReadAvailableAsync(first));
    }

    private SessionEventStreams Store(int capacity) =>
        new(_time, new FixedOptions(new GatewayOptions { Sessions = new SessionOptions { IdleTimeoutSeconds = (int)Idle.TotalSeconds, StreamBufferEvents = capacity } }),
            _sessions, NullLogger<SessionEventStreams>.Instance);

    private async Task<ISseEventStreamWriter> CreateAsync(string sessionId, string streamId = "__get__") =>
        await _store.CreateStreamAsync(new SseEventStreamOptions { SessionId = sessionId, StreamId = streamId, Mode = SseEventStreamMode.Streaming });

    private static SseItem<JsonRpcMessage?> Message(int n) =>
        new(new JsonRpcNotification { Method = "notifications/message", Params = System.Text.Json.Nodes.JsonValue.Create(n) });

    private static int Number(SseItem<JsonRpcMessage?> item) => ((JsonRpcNotification)item.Data!).Params!.GetValue<int>();

    private static async Task<int> NextAsync(IAsyncEnumerator<SseItem<JsonRpcMessage?>> events)
    {
        Assert.True(await events.MoveNextAsync());
        return Number(events.Current);
    }

    /// <summary>Reads a reader to its end (for a completed or polling stream).</summary>
    private async Task<List<int>> ReadAvailableAsync(string lastEventId)
    {
        var numbers = new List<int>();
        await foreach (var item in (await _store.GetStreamReaderAsync(lastEventId))!.ReadEventsAsync())
        {
            numbers.Add(Number(item));
        }
        return numbers;
    }

    private sealed class FixedOptions(GatewayOptions value) : IOptionsMonitor<GatewayOptions>
    {
        public GatewayOptions CurrentValue => value;

        public GatewayOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<GatewayOptions, string?> listener) => null;
    }
}
