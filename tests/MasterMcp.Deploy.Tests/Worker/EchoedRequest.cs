namespace MasterMcp.Deploy.Tests.Worker;

/// <summary>What the origin received, as it reports it back.</summary>
public sealed record EchoedRequest
{
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required string Query { get; init; }
    public required Dictionary<string, string> Headers { get; init; }
    public required string Body { get; init; }
}
