namespace MasterMcp.Hosting;

/// <summary>A request error with the HTTP status and machine-readable code it maps to. The message is shown to the caller.</summary>
public sealed class GatewayHttpException(int statusCode, string code, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Code { get; } = code;

    /// <summary>Response headers to send with the error (e.g. WWW-Authenticate).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
