using Microsoft.AspNetCore.Http;

namespace MasterMcp.Hosting;

/// <summary>The body of a request the pipeline has buffered (POST bodies, see <see cref="GatewayPipeline"/>).</summary>
public static class BufferedRequestBody
{
    /// <summary>The whole body, without a copy when it is the pipeline's buffer; the body stream is left where it was.</summary>
    public static async ValueTask<ReadOnlyMemory<byte>> ReadAsync(HttpContext context)
    {
        var body = context.Request.Body;
        if (body is MemoryStream memory && memory.TryGetBuffer(out var segment))
        {
            return segment.AsMemory(0, (int)memory.Length);
        }
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy, context.RequestAborted);
        if (body.CanSeek)
        {
            body.Position = 0;
        }
        return copy.ToArray();
    }
}
