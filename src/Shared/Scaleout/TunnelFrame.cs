using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MasterMcp.Scaleout;

/// <summary>What one backplane message is.</summary>
public enum TunnelFrameKind : byte
{
    /// <summary>Requester → owner: an HTTP request of a session the owner holds (head + body).</summary>
    Request = 1,

    /// <summary>Owner → requester: the request arrived and is being served.</summary>
    Ack = 2,

    /// <summary>Owner → requester: status and headers, with the first bytes of the body.</summary>
    Head = 3,

    /// <summary>Owner → requester: more bytes of the body.</summary>
    Data = 4,

    /// <summary>Owner → requester: the response is complete.</summary>
    End = 5,

    /// <summary>Requester → owner: the client went away; cancel the request.</summary>
    Abort = 6,
}

/// <summary>
/// One backplane message: kind, the id of the forwarded exchange, and a payload. Binary on purpose — SSE chunks are copied
/// as they are, with no JSON or base64 around them. Layout: kind (1 byte), exchange id (16 bytes), then for Request and Head
/// a 4-byte length and that many bytes of JSON (<see cref="TunnelRequestHead"/> / <see cref="TunnelResponseHead"/>), then body bytes.
/// </summary>
public readonly record struct TunnelFrame(TunnelFrameKind Kind, Guid Exchange, ReadOnlyMemory<byte> Json, ReadOnlyMemory<byte> Body)
{
    private const int Prefix = 17;

    /// <summary>Encodes a frame.</summary>
    public static byte[] Encode(TunnelFrameKind kind, Guid exchange, ReadOnlySpan<byte> json = default, ReadOnlySpan<byte> body = default)
    {
        var hasJson = kind is TunnelFrameKind.Request or TunnelFrameKind.Head;
        var bytes = new byte[Prefix + (hasJson ? 4 + json.Length : 0) + body.Length];
        bytes[0] = (byte)kind;
        exchange.TryWriteBytes(bytes.AsSpan(1, 16));
        var offset = Prefix;
        if (hasJson)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), json.Length);
            json.CopyTo(bytes.AsSpan(offset + 4));
            offset += 4 + json.Length;
        }
        body.CopyTo(bytes.AsSpan(offset));
        return bytes;
    }

    /// <summary>Decodes a frame; false for anything malformed (it is dropped).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, out TunnelFrame frame)
    {
        frame = default;
        if (bytes.Length < Prefix || bytes.Span[0] is 0 or > (byte)TunnelFrameKind.Abort)
        {
            return false;
        }
        var kind = (TunnelFrameKind)bytes.Span[0];
        var exchange = new Guid(bytes.Span.Slice(1, 16));
        var rest = bytes[Prefix..];
        var json = ReadOnlyMemory<byte>.Empty;
        if (kind is TunnelFrameKind.Request or TunnelFrameKind.Head)
        {
            if (rest.Length < 4)
            {
                return false;
            }
            var length = BinaryPrimitives.ReadInt32LittleEndian(rest.Span);
            if (length < 0 || length > rest.Length - 4)
            {
                return false;
            }
            json = rest.Slice(4, length);
            rest = rest[(4 + length)..];
        }
        frame = new TunnelFrame(kind, exchange, json, rest);
        return true;
    }
}

/// <summary>The forwarded request: who to answer, and what the client sent (the body travels after it).</summary>
public sealed record TunnelRequestHead(string ReplyTo, string Method, string Scheme, string Host, string Path, string Query, Dictionary<string, string[]> Headers);

/// <summary>The owner's response status and headers.</summary>
/// <remarks><paramref name="Final"/>: the body bytes in this frame are the whole response (no End frame follows).</remarks>
public sealed record TunnelResponseHead(int Status, Dictionary<string, string[]> Headers, bool Final);

[JsonSerializable(typeof(TunnelRequestHead))]
[JsonSerializable(typeof(TunnelResponseHead))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
internal sealed partial class TunnelJsonContext : JsonSerializerContext;
