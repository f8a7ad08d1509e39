using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>The container entrypoint maps the platform's PORT and defaults LOG_FORMAT, then execs its arguments.</summary>
public sealed class EntrypointTests
{
    [Fact]
    public async Task Port9000_BecomesAspNetCoreUrlsAndHostingPort_AndJsonLogsInProduction()
    {
        var env = await RunEntrypointAsync(new() { ["PORT"] = "9000" });
        Assert.Equal("http://+:9000", env["ASPNETCORE_URLS"]);
        Assert.Equal("9000", env["MASTER_HOSTING_PORT"]);
        Assert.Equal("json", env["LOG_FORMAT"]);
    }

    [Fact]
    public async Task NoPort_Defaults8080()
    {
        var env = await RunEntrypointAsync(new());
        Assert.Equal("http://+:8080", env["ASPNETCORE_URLS"]);
        Assert.Equal("8080", env["MASTER_HOSTING_PORT"]);
    }

    [Fact]
    public async Task ExplicitHostingPort_WinsOverPort()
    {
        var env = await RunEntrypointAsync(new() { ["PORT"] = "9000", ["MASTER_HOSTING_PORT"] = "7000" });
        Assert.Equal("http://+:7000", env["ASPNETCORE_URLS"]);
        Assert.Equal("7000", env["MASTER_HOSTING_PORT"]);
    }

    [Fact]
    public async Task ExplicitLogFormat_IsKept()
    {
        var env = await RunEntrypointAsync(new() { ["PORT"] = "9000", ["LOG_FORMAT"] = "plain" });
        Assert.Equal("plain", env["LOG_FORMAT"]);
    }

    [Theory]
    [InlineData("MASTER_ENV")]
    [InlineData("AZURE_FUNCTIONS_ENVIRONMENT")]
    [InlineData("DOTNET_ENVIRONMENT")]
    [InlineData("ASPNETCORE_ENVIRONMENT")]
    public async Task DevelopmentEnvironment_LeavesLogFormatUnset(string variable)
    {
        var env = await RunEntrypointAsync(new() { [variable] = "Development" });
        Assert.False(env.ContainsKey("LOG_FORMAT"), $"LOG_FORMAT={env.GetValueOrDefault("LOG_FORMAT")} with {variable}=Development");
    }

    [Fact]
    public async Task NonNumericPort_IsRefused()
    {
        var result = await ProcessRunner.RunAsync(Repo.PathOf("deploy/docker/entrypoint.sh"), ["env"],
            environment: Clean(new() { ["PORT"] = "eighty" }), clearEnvironment: true);
        Assert.Equal(64, result.ExitCode);
        Assert.Contains("not a number", result.StdErr, StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, string>> RunEntrypointAsync(Dictionary<string, string?> variables)
    {
        var result = await ProcessRunner.RunAsync(Repo.PathOf("deploy/docker/entrypoint.sh"), ["env"],
            environment: Clean(variables), clearEnvironment: true);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
    }

    private static Dictionary<string, string?> Clean(Dictionary<string, string?> variables)
    {
        variables["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        return variables;
    }
}
