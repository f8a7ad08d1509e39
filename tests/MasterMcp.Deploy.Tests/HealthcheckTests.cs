using MasterMcp.Deploy.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Deploy.Tests;

/// <summary>
/// The image's HEALTHCHECK contract: `dotnet MasterMcp.Functions.dll --healthcheck` probes http://127.0.0.1:PORT/health
/// (MASTER_HOSTING_PORT, else PORT, else 8080) and exits 0 on 200, 1 otherwise.
/// </summary>
public sealed class HealthcheckTests
{

    [Theory]
    [InlineData("MASTER_HOSTING_PORT")]
    [InlineData("PORT")]
    public async Task Healthcheck_ExitsZero_WhenHealthAnswers200(string portVariable)
    {
        await using var server = await StartAsync(StatusCodes.Status200OK);
        var result = await RunHealthcheckAsync(new() { [portVariable] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task Healthcheck_ExitsOne_WhenHealthFails()
    {
        await using var server = await StartAsync(StatusCodes.Status503ServiceUnavailable);
        var result = await RunHealthcheckAsync(new() { ["MASTER_HOSTING_PORT"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["PORT"] = "1" });
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Healthcheck_ExitsOne_WhenNothingListens()
    {
        int port;
        await using (var server = await StartAsync(StatusCodes.Status200OK))
        {
            port = server.Port;
        }
        var result = await RunHealthcheckAsync(new() { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(1, result.ExitCode);
    }

    private static async Task<ProcessResult> RunHealthcheckAsync(Dictionary<string, string?> environment)
    {
        var dll = new[] { "Release", "Debug" }
            .Select(c => Repo.PathOf($"src/Functions/bin/{c}/net10.0/MasterMcp.Functions.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
        Assert.True(dll is not null, "MasterMcp.Functions.dll not built: run `dotnet build src/Functions` (or build the solution).");
        environment.TryAdd("MASTER_HOSTING_PORT", null);
        environment.TryAdd("PORT", null);
        return await ProcessRunner.RunAsync("dotnet", [dll!, "--healthcheck"], environment: environment, timeout: TimeSpan.FromSeconds(30));
    }

    private static async Task<HealthServer> StartAsync(int status)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/health", () => Results.Json(new { ok = status == 200 }, statusCode: status));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return new HealthServer(app, address.Port);
    }

    private sealed record HealthServer(WebApplication App, int Port) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
