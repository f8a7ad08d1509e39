using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Foundation;

/// <summary>
/// The README's "your own servers" command, taken from README.md and run as written from the repository root against
/// this build, with a config file that holds only <c>servers</c> and nothing in the environment that names an
/// environment: it must start (Development through the launch profile, the file layered over config/default.json and
/// config/development.json) and serve that server's tools at /mcp.
/// </summary>
public sealed partial class ReadmeRunCommandTests
{
    [Fact]
    public async Task ReadmeOwnServersCommand_WithAConfigHoldingOnlyServers_ServesThoseServersTools()
    {
        var command = ReadmeOwnServersCommand();
        var configFile = command[command.IndexOf("--config") + 1];
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        await using var azurite = await AzuriteProcess.StartAsync();
        var configPath = Path.Combine(RepoPaths.Root, configFile);
        await File.WriteAllTextAsync(configPath, new JsonObject
        {
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = backend.McpUrl.ToString() }),
        }.ToJsonString());
        try
        {
            var port = FreePort.Next();
            // Only build flags are added (run this build instead of building another); everything else is the README's.
            string[] args = [command[1], "--no-build", "-c", FunctionsBuild.Configuration, .. command[2..]];
            await using var gateway = GatewayProcess.StartCommand(FunctionsBuild.DotnetHost, args, RepoPaths.Root, new Dictionary<string, string?>
            {
                // Not config/development.json's port 3000, which another run on this machine may hold.
                ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
                // Development's default is Azurite on its standard port; this test's Azurite has its own.
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
            });

            var listening = await gateway.WaitForStdoutLineAsync(l => l.Contains("is listening", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.Contains($"http://127.0.0.1:{port}/mcp", listening, StringComparison.Ordinal);

            var changed = new SemaphoreSlim(0);
            await using var client = await McpClient.CreateAsync(
                new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/mcp"), TransportMode = HttpTransportMode.StreamableHttp }),
                new McpClientOptions
                {
                    Handlers = new McpClientHandlers
                    {
                        NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { changed.Release(); return ValueTask.CompletedTask; })],
                    },
                });
            var tools = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
            while (!tools.Contains("alpha__echo"))
            {
                // The backend connects in the background; the gateway announces its tools with list_changed.
                Assert.True(await changed.WaitAsync(TimeSpan.FromSeconds(30)), $"alpha's tools never appeared; tools: {string.Join(", ", tools)}\n{gateway.Output}");
                tools = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
            }
        }
        finally
        {
            File.Delete(configPath);
        }
    }

    /// <summary>The one line in a README code block that runs src/Functions with <c>--config</c>, split into words.</summary>
    private static List<string> ReadmeOwnServersCommand()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var commands = FencedBlock().Matches(readme)
            .SelectMany(block => block.Groups[1].Value.Split('\n'))
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("dotnet run ", StringComparison.Ordinal) && line.Contains("--config ", StringComparison.Ordinal))
            .ToList();
        var command = Assert.Single(commands);
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.Equal(["dotnet", "run", "--project", "src/Functions", "--"], words[..5]);
        return words;
    }

    [GeneratedRegex(@"```(?:bash|sh)?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}
