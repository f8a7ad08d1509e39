using System.Text.Json.Serialization;

namespace MasterMcp.Hosting;

/// <summary>The JSON body of every error the gateway writes itself.</summary>
public sealed record ErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("correlation_id")] string? CorrelationId);
