using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>`wrangler deploy --dry-run` bundles the Worker for each environment without an account or network.</summary>
public sealed class WranglerTests
{
    [Theory]
    [InlineData("staging", "https://staging-origin.invalid")]
    [InlineData("production", "https://production-origin.invalid")]
    public async Task DryRun_Succeeds_WithTheEnvironmentsOwnVars(string environment, string originUrl)
    {
        var wrangler = Repo.NodeModule("wrangler/bin/wrangler.js");
        var outDir = Directory.CreateTempSubdirectory("wrangler-").FullName;
        try
        {
            var result = await ProcessRunner.RunAsync(Repo.Node,
                [wrangler, "deploy", "--dry-run", "--env", environment, "--outdir", outDir],
                workingDirectory: Repo.PathOf("deploy/cloudflare"),
                environment: new Dictionary<string, string?>
                {
                    ["WRANGLER_SEND_METRICS"] = "false",
                    ["CLOUDFLARE_API_TOKEN"] = null,
                    ["CI"] = "1",
                },
                timeout: TimeSpan.FromSeconds(90));
            Assert.True(result.ExitCode == 0, $"wrangler deploy --dry-run --env {environment}:\n{result.Output}");
            Assert.Contains("--dry-run: exiting now.", result.StdOut, StringComparison.Ordinal);
            Assert.Contains($"env.ORIGIN_URL (\"{originUrl}\")", result.StdOut, StringComparison.Ordinal);
            Assert.Contains("env.WELL_KNOWN_CACHE_SECONDS", result.StdOut, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(outDir, "index.js")), "no bundle written");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }
}
