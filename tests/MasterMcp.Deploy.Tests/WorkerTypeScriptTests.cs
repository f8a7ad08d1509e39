using System.Text.Json.Nodes;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>The Worker's TypeScript type-checks (`tsc --noEmit` with the Workers types), and a type error fails it.</summary>
public sealed class WorkerTypeScriptTests
{
    [Fact]
    public async Task Worker_TypeChecks_WithTheWorkersTypes()
    {
        var result = await TscAsync(Repo.PathOf("deploy/cloudflare"));
        Assert.True(result.ExitCode == 0, $"tsc --noEmit -p deploy/cloudflare:\n{result.Output}");
    }

    [Fact]
    public async Task TypeCheck_Fails_OnATypeError_AndKnowsTheWorkersRuntime()
    {
        // A copy of deploy/cloudflare at the same depth, so the tsconfig's ../../tools/node_modules resolves.
        var root = Directory.CreateTempSubdirectory("worker-tsc-").FullName;
        try
        {
            var worker = Path.Combine(root, "deploy", "cloudflare");
            Directory.CreateDirectory(Path.Combine(worker, "src"));
            File.Copy(Repo.PathOf("deploy/cloudflare/tsconfig.json"), Path.Combine(worker, "tsconfig.json"));
            File.Copy(Repo.PathOf("deploy/cloudflare/src/index.ts"), Path.Combine(worker, "src", "index.ts"));
            Directory.CreateDirectory(Path.Combine(root, "tools"));
            Directory.CreateSymbolicLink(Path.Combine(root, "tools", "node_modules"), Repo.PathOf("tools/node_modules"));
            // caches.default and HTMLRewriter exist only in the Workers types: the first line is a type error only
            // if they resolve (Cache is not a number), the second compiles only with them.
            await File.WriteAllTextAsync(Path.Combine(worker, "src", "broken.ts"),
                "export const wrong: number = caches.default;\nexport const rewriter = new HTMLRewriter();\n");

            var result = await TscAsync(worker);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("broken.ts(1,14): error TS2322: Type 'Cache' is not assignable to type 'number'.", result.StdOut, StringComparison.Ordinal);
            Assert.DoesNotContain("broken.ts(2", result.StdOut, StringComparison.Ordinal);
            Assert.DoesNotContain("index.ts", result.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ToolsLockFile_PinsEveryDependency_SoNpmCiInstallsThem()
    {
        var package = JsonNode.Parse(Repo.ReadText("tools/package.json"))!["dependencies"]!.AsObject();
        var lockFile = JsonNode.Parse(Repo.ReadText("tools/package-lock.json"))!;
        Assert.True((int)lockFile["lockfileVersion"]! >= 3, "npm 9+ lock file expected");
        var locked = lockFile["packages"]!.AsObject();
        Assert.Equal(package.ToJsonString(), locked[""]!["dependencies"]!.ToJsonString());
        foreach (var (name, version) in package)
        {
            // Exact versions only: the lock file and package.json can then not drift apart silently.
            Assert.Matches(@"^\d+\.\d+\.\d+$", (string)version!);
            Assert.Equal((string)version!, (string?)locked[$"node_modules/{name}"]?["version"]);
        }
        Assert.Contains("typescript", package.Select(p => p.Key));
        Assert.Contains("@cloudflare/workers-types", package.Select(p => p.Key));
        Assert.Contains("npm ci", Repo.ReadText("scripts/test.sh"), StringComparison.Ordinal);
        Assert.DoesNotContain("npm install", Repo.ReadText("scripts/test.sh"), StringComparison.Ordinal);
    }

    private static Task<ProcessResult> TscAsync(string project) =>
        ProcessRunner.RunAsync(Repo.Node, [Repo.NodeModule("typescript/bin/tsc"), "--noEmit", "-p", project], timeout: TimeSpan.FromSeconds(120));
}
