using System.Collections.Concurrent;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Fidelity;

#pragma warning disable MCP9005 // This client identity answers sampling and roots and receives log messages: deprecated for 2026-07-28 (SEP-2577), relayed for earlier revisions.

/// <summary>A client identity with sampling, elicitation (form and URL) and roots handlers that answer in its name and record what they were asked.</summary>
public sealed class Recorder(string name)
{
    private int _rootsRequests;

    public string Name { get; } = name;

    public string RootName { get; set; } = name;

    public ConcurrentQueue<ElicitRequestParams> Elicitations { get; } = new();

    public ConcurrentQueue<string> Samplings { get; } = new();

    public int RootsRequests => Volatile.Read(ref _rootsRequests);

    /// <summary>Client options declaring sampling, elicitation (form + url) and roots, with this recorder's handlers.</summary>
    public McpClientOptions Options(string? protocolVersion = "2025-11-25") => new()
    {
        ProtocolVersion = protocolVersion,
        Capabilities = new ClientCapabilities
        {
            Sampling = new SamplingCapability(),
            Elicitation = new ElicitationCapability { Form = new FormElicitationCapability(), Url = new UrlElicitationCapability() },
            Roots = new RootsCapability { ListChanged = true },
        },
        Handlers = new McpClientHandlers
        {
            SamplingHandler = (request, _, _) =>
            {
                Samplings.Enqueue(string.Concat(request!.Messages.SelectMany(m => m.Content).OfType<TextContentBlock>().Select(t => t.Text)));
                return ValueTask.FromResult(new CreateMessageResult
                {
                    Model = "test-model",
                    Role = Role.Assistant,
                    Content = [new TextContentBlock { Text = $"sampled by {Name}" }],
                });
            },
            ElicitationHandler = (request, _) =>
            {
                Elicitations.Enqueue(request!);
                if (request!.Mode == "url")
                {
                    return ValueTask.FromResult(new ElicitResult { Action = "accept" });
                }
                var content = new Dictionary<string, JsonElement>();
                foreach (var (key, schema) in request.RequestedSchema?.Properties ?? new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition>())
                {
                    content[key] = schema switch
                    {
                        ElicitRequestParams.StringSchema s when s.Format == "email" => JsonSerializer.SerializeToElement($"{Name}@example.com"),
                        ElicitRequestParams.StringSchema s when s.Format == "uri" => JsonSerializer.SerializeToElement($"https://example.com/{Name}"),
                        ElicitRequestParams.StringSchema s when s.Format == "date" => JsonSerializer.SerializeToElement("2024-01-01"),
                        ElicitRequestParams.StringSchema s when s.Format == "date-time" => JsonSerializer.SerializeToElement("2024-01-01T00:00:00Z"),
                        ElicitRequestParams.StringSchema => JsonSerializer.SerializeToElement(key == "answer" ? $"answer from {Name}" : Name),
                        ElicitRequestParams.NumberSchema => JsonSerializer.SerializeToElement(3),
                        ElicitRequestParams.BooleanSchema => JsonSerializer.SerializeToElement(true),
                        _ => default,
                    };
                    if (content[key].ValueKind == JsonValueKind.Undefined)
                    {
                        content.Remove(key);
                    }
                }
                return ValueTask.FromResult(new ElicitResult { Action = "accept", Content = content });
            },
            RootsHandler = (_, _) =>
            {
                Interlocked.Increment(ref _rootsRequests);
                return ValueTask.FromResult(new ListRootsResult { Roots = [new Root { Uri = $"file:///roots/{RootName}", Name = RootName }] });
            },
        },
    };
}
