using MasterMcp.Configuration;

namespace MasterMcp.Hosting;

/// <summary>
/// <c>--healthcheck</c>: probes GET /health on the local port and exits 0 (healthy) or 1, so a container HEALTHCHECK
/// needs no curl. The port is the configured hosting.port (MASTER_HOSTING_PORT, PORT, config), else 8080.
/// </summary>
public static class HealthCheckCommand
{
    /// <summary>True when the arguments ask for a health check.</summary>
    public static bool IsRequested(IReadOnlyList<string> args) => args.Contains("--healthcheck");

    /// <summary>Runs the probe; returns the process exit code.</summary>
    public static async Task<int> RunAsync(ConfigInputs inputs, TextWriter output)
    {
        var port = PortFor(inputs);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            await output.WriteLineAsync($"GET http://127.0.0.1:{port}/health -> {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"GET http://127.0.0.1:{port}/health failed: {ex.Message}");
            return 1;
        }
    }

    private static int PortFor(ConfigInputs inputs)
    {
        try
        {
            var port = ConfigurationLoader.Load(inputs).Options.Hosting.Port;
            if (port > 0)
            {
                return port;
            }
        }
        catch (ConfigurationException)
        {
            // Fall back to the variables the platform sets.
        }
        foreach (var name in new[] { "MASTER_HOSTING_PORT", "PORT" })
        {
            if (int.TryParse(inputs.Env(name), out var p) && p > 0)
            {
                return p;
            }
        }
        return 8080;
    }
}
