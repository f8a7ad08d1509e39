using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>The Functions host and Kestrel serve one route table: the built functions.metadata must list exactly <see cref="GatewayRoutes.All"/>.</summary>
public sealed class FunctionsMetadataTests
{
    private sealed record HttpFunction(string Name, string Route, string Methods);

    private static IReadOnlyList<HttpFunction> HttpFunctionsIn(string metadataPath)
    {
        var functions = JsonNode.Parse(File.ReadAllText(metadataPath))!.AsArray();
        var result = new List<HttpFunction>();
        foreach (var function in functions)
        {
            foreach (var binding in function!["bindings"]!.AsArray())
            {
                if (!string.Equals((string?)binding!["type"], "httpTrigger", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var methods = (binding["methods"]?.AsArray() ?? []).Select(m => ((string)m!).ToUpperInvariant()).Order(StringComparer.Ordinal);
                result.Add(new HttpFunction((string)function["name"]!, (string?)binding["route"] ?? "", string.Join(',', methods)));
            }
        }
        return result;
    }

    [Fact]
    public void BuiltMetadata_HttpTriggers_AreExactlyTheRouteTable()
    {
        var expected = GatewayRoutes.All
            .Select(r => new HttpFunction(r.Name, r.Template, string.Join(',', r.Methods.Select(m => m.ToUpperInvariant()).Order(StringComparer.Ordinal))))
            .OrderBy(f => f.Name, StringComparer.Ordinal);

        var actual = HttpFunctionsIn(FunctionsBuild.Metadata).OrderBy(f => f.Name, StringComparer.Ordinal);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void BuiltMetadata_ListsTheVirtualServerRoutes_NextToMcp()
    {
        var functions = HttpFunctionsIn(FunctionsBuild.Metadata);

        Assert.Contains(new HttpFunction("mcp", "mcp", "DELETE,GET,POST"), functions);
        Assert.Contains(new HttpFunction("mcp-virtual", "mcp/{name}", "DELETE,GET,POST"), functions);
        Assert.Contains(new HttpFunction("oauth-protected-resource-mcp-virtual", ".well-known/oauth-protected-resource/mcp/{name}", "GET"), functions);
    }

    [Fact]
    public void BuiltMetadata_RoutesHaveNoApiPrefixOrLeadingSlash()
    {
        Assert.All(HttpFunctionsIn(FunctionsBuild.Metadata), f =>
        {
            Assert.False(f.Route.StartsWith("api/", StringComparison.OrdinalIgnoreCase), f.Route);
            Assert.False(f.Route.StartsWith('/'), f.Route);
        });
    }

    [Fact]
    public void HostJson_EmptyRoutePrefix_SoHealthIsServedAtSlashHealth()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionsBuild.OutputDirectory, "host.json")))!;

        Assert.Equal("", (string?)host["extensions"]?["http"]?["routePrefix"]);
    }

    [Fact]
    public async Task Publish_Output_HasHostJsonWithEmptyRoutePrefix_AndConfigFolder()
    {
        using var output = new TempDirectory();
        var start = new ProcessStartInfo(FunctionsBuild.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        // --no-build: publish what the test run already built; rebuilding here would race with the processes other tests run from that output.
        foreach (var arg in new[] { "publish", Path.Combine("src", "Functions"), "-c", FunctionsBuild.Configuration, "--no-build", "-o", output.Path, "--nologo" })
        {
            start.ArgumentList.Add(arg);
        }
        using var publish = Process.Start(start)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            await publish.WaitForExitAsync(cts.Token);
        }
        Assert.True(publish.ExitCode == 0, $"dotnet publish failed ({publish.ExitCode}):\n{await stdout}\n{await stderr}");

        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(output.Path, "host.json")))!;
        Assert.Equal("", (string?)host["extensions"]?["http"]?["routePrefix"]);
        foreach (var file in new[] { "default.json", "development.json", "production.json", "schema.json" })
        {
            Assert.True(File.Exists(Path.Combine(output.Path, "config", file)), $"config/{file} missing from the publish output");
        }
        Assert.True(File.Exists(Path.Combine(output.Path, "functions.metadata")), "functions.metadata missing from the publish output");
        Assert.Equal(
            HttpFunctionsIn(FunctionsBuild.Metadata).OrderBy(f => f.Name, StringComparer.Ordinal),
            HttpFunctionsIn(Path.Combine(output.Path, "functions.metadata")).OrderBy(f => f.Name, StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(output.Path, "local.settings.json")), "local.settings.json must never be published");
        using var _ = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "config", "schema.json")));
    }
}
