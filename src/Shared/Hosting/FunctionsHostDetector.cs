using MasterMcp.Configuration;

namespace MasterMcp.Hosting;

/// <summary>
/// Tells whether the Azure Functions host started this process: it passes the worker's gRPC endpoint, as
/// <c>--functions-uri</c> (or the legacy <c>--host</c>/<c>--port</c> pair) or as <c>Functions__Worker__HostEndpoint</c>.
/// FUNCTIONS_WORKER_RUNTIME cannot tell: the Functions container image sets it for every process.
/// </summary>
public static class FunctionsHostDetector
{
    /// <summary>True when running under the Functions host.</summary>
    public static bool IsFunctionsHost(ConfigInputs inputs) =>
        inputs.Args.Any(a => a == "--functions-uri" || a.StartsWith("--functions-uri=", StringComparison.Ordinal) || a == "--functions-worker-id")
        || inputs.Env("Functions__Worker__HostEndpoint") is not null
        || inputs.Env("FUNCTIONS_URI") is not null;
}
