using System.Text.Json.Serialization;

namespace MasterMcp.Hosting;

/// <summary>The JSON body of every error the gateway writes itself.</summary>
public sealed record ErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("correlation_id")] string? CorrelationId)
{
    /// <summary>RFC 6749's name for <see cref="Message"/>, sent by the authorization server's routes (null elsewhere, then omitted).</summary>
    [JsonPropertyName("error_description")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ErrorDescription { get; init; }
}
