using MasterMcp.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace MasterMcp.Deploy.Tests;

/// <summary>The GitHub workflows validate against the Actions schema and do what CI and CD must do.</summary>
public sealed class WorkflowTests
{
    public static TheoryData<string> Workflows()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Repo.PathOf(".github/workflows"), "*.yml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Repo.Root, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public async Task Workflow_PassesActionValidator(string relative)
    {
        var validator = Repo.NodeModule("@action-validator/cli/cli.mjs");
        var result = await ProcessRunner.RunAsync(Repo.Node, [validator, relative], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"action-validator {relative}:\n{result.Output}");
    }

    [Fact]
    public void Ci_RunsTheCiEntryPoint_FormatCheckAndVulnerabilityReport()
    {
        var ci = Yaml.Load(".github/workflows/ci.yml");
        Assert.NotNull(ci.Map("on").Get("pull_request"));
        var steps = ((YamlSequenceNode)ci.Map("jobs").Map("test").Get("steps")!).Children.Cast<YamlMappingNode>().ToList();
        YamlMappingNode Step(string name) => steps.SingleOrDefault(s => s.Scalar("name") == name) ?? throw new Xunit.Sdk.XunitException($"No step '{name}' in ci.yml");

        Assert.Equal(".ci/run", Step("Test").Scalar("run"));
        Assert.True(File.Exists(Repo.PathOf(".ci/run")));
        Assert.StartsWith("dotnet format MasterMcp.sln --verify-no-changes", Step("Format").Scalar("run"), StringComparison.Ordinal);
        Assert.Contains("apt-get install -y --no-install-recommends shellcheck", Step("Install shellcheck (deploy tests lint every shell script)").Scalar("run"), StringComparison.Ordinal);
        Assert.Equal("docker compose -f deploy/docker/docker-compose.yml config --quiet", Step("Validate docker-compose.yml").Scalar("run"));

        // Only the report may fail without failing the build; tests, format and validation must not.
        var report = Step("Vulnerable packages (report only)");
        Assert.Contains("--vulnerable", report.Scalar("run"), StringComparison.Ordinal);
        Assert.Equal("true", report.Scalar("continue-on-error"));
        foreach (var step in steps.Where(s => s != report))
        {
            Assert.True(step.Get("continue-on-error") is null, $"step '{step.Scalar("name") ?? step.Scalar("uses")}' must not continue on error");
        }
        // The setup-node cache is keyed on the lock file npm ci installs from.
        var setupNode = steps.Single(s => s.Scalar("uses")?.StartsWith("actions/setup-node@", StringComparison.Ordinal) == true);
        Assert.Equal("tools/package-lock.json", setupNode.Map("with").Scalar("cache-dependency-path"));
    }

    [Fact]
    public void Deploy_GoesMainToStaging_TagsToProductionAfterStaging()
    {
        var deploy = Repo.ReadText(".github/workflows/deploy.yml");
        Assert.Contains("branches: [main]", deploy, StringComparison.Ordinal);
        Assert.Contains("tags: [\"v*.*.*\"]", deploy, StringComparison.Ordinal);
        Assert.Contains("needs: [build, staging]", deploy, StringComparison.Ordinal);
        Assert.Contains("if: startsWith(github.ref, 'refs/tags/v')", deploy, StringComparison.Ordinal);
        Assert.Contains("docker/build-push-action", deploy, StringComparison.Ordinal);
        Assert.Contains("provenance: mode=max", deploy, StringComparison.Ordinal);
        Assert.Contains("platforms: linux/amd64", deploy, StringComparison.Ordinal);
        Assert.Contains("registry: ghcr.io", deploy, StringComparison.Ordinal);
        foreach (var arg in new[] { "VERSION=", "REVISION=", "CREATED=", "SOURCE=" })
        {
            Assert.Contains(arg, deploy, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DeployEnvironment_UsesOidc_WhatIfThenDeploy_WorkerKoyebAndSmokeTests()
    {
        var steps = Repo.ReadText(".github/workflows/deploy-environment.yml");
        Assert.Contains("id-token: write", steps, StringComparison.Ordinal);
        Assert.Contains("uses: azure/login@v2", steps, StringComparison.Ordinal);
        Assert.DoesNotContain("client-secret", steps, StringComparison.Ordinal);
        Assert.DoesNotContain("creds:", steps, StringComparison.Ordinal);
        var whatIf = steps.IndexOf("az deployment group what-if", StringComparison.Ordinal);
        var create = steps.IndexOf("az deployment group create", StringComparison.Ordinal);
        Assert.True(whatIf > 0 && create > whatIf, "Bicep what-if must run before the deployment");
        Assert.Contains("az functionapp deployment source config-zip", steps, StringComparison.Ordinal);
        Assert.Contains("wrangler deploy --env \"${{ inputs.environment }}\"", steps, StringComparison.Ordinal);
        Assert.Contains("run: deploy/koyeb/deploy.sh", steps, StringComparison.Ordinal);
        Assert.True(steps.Split("deploy/scripts/smoke-test.sh").Length - 1 >= 3, "Each deployment (Azure, Worker, Koyeb) is smoke-tested");
    }

    [Fact]
    public void DeployEnvironment_GivesTheParameterFilesAndKoyebScript_EveryInputTheyRead()
    {
        var steps = Repo.ReadText(".github/workflows/deploy-environment.yml");
        // Every environment variable a .bicepparam file reads is set for the job (APP_VERSION included).
        foreach (var file in Directory.EnumerateFiles(Repo.PathOf("infra"), "*.bicepparam"))
        {
            foreach (System.Text.RegularExpressions.Match read in System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), @"readEnvironmentVariable\('([A-Z_]+)'"))
            {
                var name = read.Groups[1].Value;
                if (name == "DEPLOYER_PRINCIPAL_ID")
                {
                    continue; // only for people deploying by hand
                }
                Assert.True(steps.Contains($"      {name}: ", StringComparison.Ordinal), $"{Path.GetFileName(file)} reads {name}, which deploy-environment.yml does not set");
            }
        }
        // The Koyeb rollout gets its base URL (deploy.sh refuses to run without it).
        var koyeb = steps[steps.IndexOf("name: Roll out to Koyeb", StringComparison.Ordinal)..];
        Assert.Contains("BASE_URL: ${{ vars.KOYEB_BASE_URL || vars.KOYEB_URL }}", koyeb, StringComparison.Ordinal);
        Assert.Contains("AUTH_MODE: ${{ vars.AUTH_MODE || 'jwt' }}", steps, StringComparison.Ordinal);
    }
}
