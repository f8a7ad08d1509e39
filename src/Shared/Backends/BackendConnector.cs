using MasterMcp.Hosting;
using MasterMcp.Secrets;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Backends;

/// <summary>Opens an MCP client session to a backend over Streamable HTTP, legacy SSE or stdio.</summary>
public sealed class BackendConnector(IHttpClientFactory httpClients, ISecretResolver secrets, ProgressRelay progress, ILoggerFactory loggerFactory)
{
    /// <summary>The named HttpClient used for backends (no overall timeout: MCP responses may stream for a long time).</summary>
    public const string HttpClientName = "mcp-backends";

    /// <summary>Connects and initializes a session with the given client options.</summary>
    public async Task<McpClient> ConnectAsync(BackendDefinition definition, McpClientOptions options, CancellationToken cancellationToken) =>
        await ConnectAsync(definition, options, null, cancellationToken);

    /// <summary>
    /// Connects with a caller-supplied HttpClient for HTTP backends (per-user credentials: its handler adds the user's
    /// token to every request, so a refreshed token applies without reconnecting).
    /// </summary>
    public async Task<McpClient> ConnectAsync(BackendDefinition definition, McpClientOptions options, HttpClient? httpClient, CancellationToken cancellationToken)
    {
        options.ClientInfo ??= new Implementation { Name = ProductInfo.Name, Version = ProductInfo.Version };
        if (definition.ProtocolVersion is not null)
        {
            options.ProtocolVersion = definition.ProtocolVersion;
        }
        IClientTransport transport = definition.Kind switch
        {
            BackendKind.Http => new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = definition.Url!,
                Name = definition.Id,
                TransportMode = definition.Transport switch
                {
                    "sse" => HttpTransportMode.Sse,
                    "streamable_http" => HttpTransportMode.StreamableHttp,
                    _ => HttpTransportMode.AutoDetect,
                },
                ConnectionTimeout = definition.Timeout,
                AdditionalHeaders = await ResolveHeadersAsync(definition, cancellationToken),
            }, httpClient ?? httpClients.CreateClient(HttpClientName), loggerFactory, ownsHttpClient: false),
            _ => new StdioClientTransport(new StdioClientTransportOptions
            {
                Command = definition.Command!,
                Arguments = [.. definition.Args],
                Name = definition.Id,
                WorkingDirectory = definition.WorkingDirectory,
                EnvironmentVariables = await ResolveEnvironmentAsync(definition, cancellationToken),
                ShutdownTimeout = TimeSpan.FromSeconds(5),
            }, loggerFactory),
        };
        return await McpClient.CreateAsync(new ProgressOrderingTransport(transport, progress), options, loggerFactory, cancellationToken);
    }

    private async Task<Dictionary<string, string>> ResolveHeadersAsync(BackendDefinition definition, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in definition.Headers)
        {
            headers[name] = await secrets.ResolveAsync(value, $"servers['{definition.Id}'].headers.{name}", cancellationToken);
        }
        return headers;
    }

    private async Task<Dictionary<string, string?>> ResolveEnvironmentAsync(BackendDefinition definition, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in definition.Environment)
        {
            environment[name] = await secrets.ResolveAsync(value, $"servers['{definition.Id}'].config.environment.{name}", cancellationToken);
        }
        return environment;
    }
}
