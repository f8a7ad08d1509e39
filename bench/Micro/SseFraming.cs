using System.Buffers;
using System.Net.ServerSentEvents;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using MasterMcp.Gateway;

namespace Micro;

/// <summary>
/// SSE on each answer: the framing of one event (System.Net.ServerSentEvents, what the SDK writes with), and the
/// gateway's <c>SseHeartbeatStream</c> (internal) that wraps every POST response: created, one event written, stopped
/// and disposed, as McpEndpoint does per request.
/// </summary>
[MemoryDiagnoser]
[ExceptionDiagnoser]
public class SseFraming
{
    private static readonly Type Heartbeat = typeof(PublicNames).Assembly.GetType("MasterMcp.Gateway.SseHeartbeatStream", throwOnError: true)!;
    private static readonly ConstructorInfo HeartbeatCtor = Heartbeat.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(Stream), typeof(TimeSpan), typeof(Func<bool>)])!;
    private static readonly MethodInfo HeartbeatStop = Heartbeat.GetMethod("StopAsync")!;

    private readonly byte[] _event = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"load\"}]}}\n\n"u8.ToArray();
    private readonly string _data = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"load\"}]}}";
    private readonly MemoryStream _sink = new();

    /// <summary>One event framed by SseFormatter into a stream.</summary>
    [Benchmark(Baseline = true)]
    public async Task FormatOneEvent()
    {
        _sink.SetLength(0);
        await SseFormatter.WriteAsync(One(), _sink, (item, writer) => writer.Write(System.Text.Encoding.UTF8.GetBytes(item.Data)));
    }

    /// <summary>The heartbeat wrapper's life per response (timer loop started, one write, stop, dispose).</summary>
    [Benchmark]
    public async Task HeartbeatStreamPerResponse()
    {
        _sink.SetLength(0);
        var stream = (Stream)HeartbeatCtor.Invoke([_sink, TimeSpan.FromSeconds(15), (Func<bool>)(() => true)]);
        await stream.WriteAsync(_event);
        await stream.FlushAsync();
        await (Task)HeartbeatStop.Invoke(stream, null)!;
        await stream.DisposeAsync();
    }

    private async IAsyncEnumerable<SseItem<string>> One()
    {
        yield return new SseItem<string>(_data, "message");
        await Task.CompletedTask;
    }
}
