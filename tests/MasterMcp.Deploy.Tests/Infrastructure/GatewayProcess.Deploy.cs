using System.Net;
using System.Net.Sockets;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// The deployment tests' entry to the shared <see cref="GatewayProcess"/> (linked from MasterMcp.Tests): the newest build of
/// the gateway on a loopback port, started once /health answers. This project does not reference the Functions app, so it
/// finds the built dll itself.
/// </summary>
public sealed partial class GatewayProcess
{
    /// <summary>Where the gateway listens (set by <see cref="StartAsync"/>).</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The newest build of the gateway (Release or Debug).</summary>
    public static string Dll()
    {
        var dll = new[] { "Release", "Debug" }
            .Select(c => Repo.PathOf($"src/Functions/bin/{c}/net10.0/MasterMcp.Functions.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
        Assert.True(dll is not null, "MasterMcp.Functions.dll not built: build the solution first (dotnet build MasterMcp.sln).");
        return dll!;
    }

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts the gateway with <paramref name="arguments"/> (plus host and port) and waits until /health answers.</summary>
    public static async Task<GatewayProcess> StartAsync(int port, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var dll = Dll();
        var gateway = StartCommand("dotnet", [dll, "--hosting.host=127.0.0.1", $"--hosting.port={port}", .. arguments], Path.GetDirectoryName(dll)!, environment);
        gateway.Url = new Uri($"http://127.0.0.1:{port}");
        try
        {
            await gateway.WaitUntilHealthyAsync(gateway.Url);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }
}
