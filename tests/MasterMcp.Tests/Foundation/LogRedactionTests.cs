using System.Text.Json.Nodes;
using MasterMcp.Tests.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Foundation;

/// <summary>Query strings carry one-time OAuth codes and states; no log line may repeat them, even at Trace.</summary>
public sealed class LogRedactionTests
{
    [Fact]
    public async Task QueryStrings_NeverReachTheLogs_EvenAtTrace()
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayInstance.StartAsync(
            new JsonObject { ["logging"] = new JsonObject { ["level"] = "trace" } },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        var secret = "code-" + Guid.NewGuid().ToString("N");
        using var http = new HttpClient();
        await http.GetAsync(new Uri(gateway.BaseUrl, $"/health?code={secret}&state={secret}"));
        await http.GetAsync(new Uri(gateway.BaseUrl, $"/no-such-path?code={secret}"));

        Assert.Contains("health", logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, logs.Text, StringComparison.Ordinal);
    }
}
