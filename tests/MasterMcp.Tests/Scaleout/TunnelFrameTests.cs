using System.Text;
using MasterMcp.Scaleout;

namespace MasterMcp.Tests.Scaleout;

/// <summary>The backplane's binary frames: what is encoded decodes to the same kind, exchange, head and body; junk is dropped.</summary>
public sealed class TunnelFrameTests
{
    [Theory]
    [InlineData(TunnelFrameKind.Request)]
    [InlineData(TunnelFrameKind.Head)]
    public void FramesWithAHead_RoundTrip(TunnelFrameKind kind)
    {
        var exchange = Guid.NewGuid();
        var bytes = TunnelFrame.Encode(kind, exchange, "{\"a\":1}"u8, "event: message\ndata: {}\n\n"u8);
        Assert.True(TunnelFrame.TryDecode(bytes, out var frame));
        Assert.Equal(kind, frame.Kind);
        Assert.Equal(exchange, frame.Exchange);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(frame.Json.Span));
        Assert.Equal("event: message\ndata: {}\n\n", Encoding.UTF8.GetString(frame.Body.Span));
    }

    [Theory]
    [InlineData(TunnelFrameKind.Data)]
    [InlineData(TunnelFrameKind.Ack)]
    [InlineData(TunnelFrameKind.End)]
    [InlineData(TunnelFrameKind.Abort)]
    public void FramesWithoutAHead_CarryOnlyTheirBody(TunnelFrameKind kind)
    {
        var exchange = Guid.NewGuid();
        var bytes = TunnelFrame.Encode(kind, exchange, body: [1, 2, 3]);
        Assert.True(TunnelFrame.TryDecode(bytes, out var frame));
        Assert.Equal(kind, frame.Kind);
        Assert.Equal(exchange, frame.Exchange);
        Assert.True(frame.Json.IsEmpty);
        Assert.Equal([1, 2, 3], frame.Body.ToArray());
    }

    [Fact]
    public void Junk_IsDropped()
    {
        Assert.False(TunnelFrame.TryDecode(new byte[5], out _));
        Assert.False(TunnelFrame.TryDecode(new byte[17], out _));
        var truncated = TunnelFrame.Encode(TunnelFrameKind.Head, Guid.NewGuid(), "{\"status\":200}"u8);
        Assert.False(TunnelFrame.TryDecode(truncated.AsMemory(0, truncated.Length - 3), out _));
        var unknown = TunnelFrame.Encode(TunnelFrameKind.Data, Guid.NewGuid());
        unknown[0] = 42;
        Assert.False(TunnelFrame.TryDecode(unknown, out _));
    }
}
