namespace MasterMcp.Tests.Fixtures;

/// <summary>Starting the Functions app this test assembly built (<see cref="FunctionsBuild"/>); the rest is shared with MasterMcp.Deploy.Tests.</summary>
public sealed partial class GatewayProcess
{
    /// <summary>Starts <c>dotnet MasterMcp.Functions.dll args…</c>; <paramref name="environment"/> is added to (or, with null values, removed from) the inherited environment.</summary>
    public static GatewayProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var assembly = FunctionsBuild.Assembly;
        return StartCommand(FunctionsBuild.DotnetHost, [assembly, .. args], Path.GetDirectoryName(assembly)!, environment);
    }

    /// <summary>Runs the app to completion and returns it (exit code and output available).</summary>
    public static async Task<GatewayProcess> RunToExitAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var gateway = Start(args, environment);
        await gateway.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return gateway;
    }
}
