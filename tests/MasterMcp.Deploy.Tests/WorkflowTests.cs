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

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Workflow_NoJobOrStep_HidesAFailure(string relative)
    {
        var workflow = Yaml.Load(relative);
        foreach (var (jobName, job) in Jobs(workflow))
        {
            Assert.True(job.Get("continue-on-error") is null, $"{relative}: job '{jobName}' must not continue on error");
            foreach (var step in Steps(job))
            {
                var name = $"{relative}: job '{jobName}', step '{StepName(step)}'";
                if (relative == ".github/workflows/ci.yml" && StepName(step) == ReportStep)
                {
                    continue; // the one report-only step, checked in Ci_RunsTheCiEntryPoint_FormatCheckAndVulnerabilityReport
                }
                Assert.True(step.Get("continue-on-error") is null, $"{name} must not continue on error");
                // A run script that swallows its own exit status hides a failure just as well.
                var run = step.Scalar("run") ?? "";
                foreach (var swallow in new[] { "|| true", "|| :", "set +e", "exit 0" })
                {
                    Assert.False(run.Contains(swallow, StringComparison.Ordinal), $"{name} runs '{swallow}', which hides a failure:\n{run}");
                }
            }
        }
    }

    [Fact]
    public void Ci_RunsTheCiEntryPoint_FormatCheckAndVulnerabilityReport()
    {
        var ci = Yaml.Load(".github/workflows/ci.yml");
        Assert.NotNull(ci.Map("on").Get("pull_request"));
        var steps = Steps(ci.Map("jobs").Map("test")).ToList();
        YamlMappingNode Step(string name) => steps.SingleOrDefault(s => s.Scalar("name") == name) ?? throw new Xunit.Sdk.XunitException($"No step '{name}' in ci.yml");

        Assert.Equal(".ci/run", Step("Test").Scalar("run"));
        Assert.True(File.Exists(Repo.PathOf(".ci/run")));
        Assert.StartsWith("dotnet format MasterMcp.sln --verify-no-changes", Step("Format").Scalar("run"), StringComparison.Ordinal);
        Assert.Contains("apt-get install -y --no-install-recommends shellcheck", Step("Install shellcheck (deploy tests lint every shell script)").Scalar("run"), StringComparison.Ordinal);
        Assert.Equal("docker compose -f deploy/docker/docker-compose.yml config --quiet", Step("Validate docker-compose.yml").Scalar("run"));
        // The gates run on every push and pull request: no condition may skip them.
        foreach (var gate in new[] { "Test", "Format", "Validate docker-compose.yml" })
        {
            Assert.True(Step(gate).Get("if") is null, $"ci.yml step '{gate}' must not be conditional");
        }

        // Only the report may fail without failing the build, and it runs after the gates.
        var report = Step(ReportStep);
        Assert.Contains("--vulnerable", report.Scalar("run"), StringComparison.Ordinal);
        Assert.Equal("true", report.Scalar("continue-on-error"));
        Assert.Equal(steps.Count - 1, steps.IndexOf(report));
        // The setup-node cache is keyed on the lock file npm ci installs from.
        var setupNode = steps.Single(s => s.Scalar("uses")?.StartsWith("actions/setup-node@", StringComparison.Ordinal) == true);
        Assert.Equal("tools/package-lock.json", setupNode.Map("with").Scalar("cache-dependency-path"));
    }

    [Fact]
    public void Deploy_GoesMainToStaging_TagsToProductionAfterStaging()
    {
        var deploy = Yaml.Load(".github/workflows/deploy.yml");
        var push = deploy.Map("on").Map("push");
        Assert.Equal(["main"], Sequence(push, "branches"));
        Assert.Equal(["v*.*.*"], Sequence(push, "tags"));

        var jobs = deploy.Map("jobs");
        var staging = jobs.Map("staging");
        Assert.Equal(["build"], Sequence(staging, "needs"));
        Assert.Null(staging.Get("if"));
        Assert.Equal("./.github/workflows/deploy-environment.yml", staging.Scalar("uses"));
        Assert.Equal("staging", staging.Map("with").Scalar("environment"));

        var production = jobs.Map("production");
        Assert.Equal(["build", "staging"], Sequence(production, "needs"));
        Assert.Equal("startsWith(github.ref, 'refs/tags/v')", production.Scalar("if"));
        Assert.Equal("./.github/workflows/deploy-environment.yml", production.Scalar("uses"));
        Assert.Equal("production", production.Map("with").Scalar("environment"));
        // Both environments deploy the image built once, by digest.
        foreach (var environment in new[] { staging, production })
        {
            Assert.Equal("${{ needs.build.outputs.image }}", environment.Map("with").Scalar("image"));
        }

        var build = jobs.Map("build");
        var steps = Steps(build).ToList();
        var login = steps.Single(s => s.Scalar("uses")?.StartsWith("docker/login-action@", StringComparison.Ordinal) == true);
        Assert.Equal("ghcr.io", login.Map("with").Scalar("registry"));
        var buildPush = steps.Single(s => s.Scalar("uses")?.StartsWith("docker/build-push-action@", StringComparison.Ordinal) == true);
        var with = buildPush.Map("with");
        Assert.Equal("deploy/docker/Dockerfile", with.Scalar("file"));
        Assert.Equal("linux/amd64", with.Scalar("platforms"));
        Assert.Equal("true", with.Scalar("push"));
        Assert.Equal("mode=max", with.Scalar("provenance"));
        var buildArgs = (with.Scalar("build-args") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var arg in new[] { "VERSION", "REVISION", "CREATED", "SOURCE" })
        {
            Assert.Contains(buildArgs, a => a.StartsWith(arg + "=", StringComparison.Ordinal) && a.Length > arg.Length + 1);
        }
        // The image output is the pushed digest, which is what the environments deploy.
        Assert.Contains("${{ steps.push.outputs.digest }}", steps.Single(s => s.Scalar("id") == "image").Scalar("run"), StringComparison.Ordinal);
        Assert.Equal("push", buildPush.Scalar("id"));
    }

    [Fact]
    public async Task DeployEnvironment_UsesOidc_WhatIfThenDeploy_WorkerKoyebAndSmokeTests()
    {
        var workflow = Yaml.Load(".github/workflows/deploy-environment.yml");
        Assert.Equal("write", workflow.Map("permissions").Scalar("id-token"));
        var job = workflow.Map("jobs").Map("deploy");
        var steps = Steps(job).ToList();
        int Index(Func<YamlMappingNode, bool> match, string what)
        {
            var index = steps.FindIndex(s => match(s));
            Assert.True(index >= 0, $"deploy-environment.yml has no step that {what}");
            return index;
        }
        bool Runs(YamlMappingNode step, string command) => step.Scalar("run")?.Contains(command, StringComparison.Ordinal) == true;

        // Azure through OIDC federation: the login step has the three ids and nothing secret.
        var login = steps[Index(s => s.Scalar("uses") == "azure/login@v2", "logs in to Azure")];
        Assert.Equal(["client-id", "subscription-id", "tenant-id"], login.Map("with").Keys().Order(StringComparer.Ordinal));
        Assert.DoesNotContain(steps.SelectMany(s => s.Get("with") is YamlMappingNode with ? with.Keys() : []), k => k is "client-secret" or "creds");

        var whatIf = Index(s => Runs(s, "az deployment group what-if"), "runs Bicep what-if");
        var create = Index(s => Runs(s, "az deployment group create"), "deploys the Bicep template");
        Assert.True(whatIf < create, "Bicep what-if must run before the deployment");
        foreach (var argument in new[] { "--template-file infra/main.bicep", "--parameters \"$PARAMETERS\"", "--resource-group \"$RESOURCE_GROUP\"" })
        {
            Assert.True(Runs(steps[whatIf], argument) && Runs(steps[create], argument), $"what-if and deploy must both use {argument}");
        }
        Assert.Equal("azure", steps[create].Scalar("id"));

        // The outputs the job reads from the deployment are outputs the template really has.
        var outputs = (await BicepSnapshot.OfAsync("staging", "jwt")).Outputs;
        var read = System.Text.RegularExpressions.Regex.Matches(steps[create].Scalar("run")!, @"jq -r \.(\w+)\.value").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["functionAppName", "functionAppUrl"], read);
        Assert.All(read, name => Assert.True(outputs.ContainsKey(name), $"deploy-environment.yml reads output '{name}', which main.bicep does not have"));

        // Each deployment (Azure, Worker, Koyeb) is followed by a smoke test of what it deployed.
        var smokeTests = steps.Select((s, i) => (Step: s, Index: i)).Where(p => Runs(p.Step, "deploy/scripts/smoke-test.sh")).ToList();
        foreach (var (deployed, what) in new[]
        {
            (Index(s => Runs(s, "az functionapp deployment source config-zip"), "deploys the function app"), "${{ steps.azure.outputs.url }}"),
            (Index(s => Runs(s, "wrangler deploy --env \"${{ inputs.environment }}\""), "deploys the Worker"), "${{ vars.EDGE_URL }}"),
            (Index(s => s.Scalar("run") == "deploy/koyeb/deploy.sh", "rolls out to Koyeb"), "${{ vars.KOYEB_URL }}"),
        })
        {
            Assert.Contains(smokeTests, p => p.Index > deployed && Runs(p.Step, $"deploy/scripts/smoke-test.sh \"{what}\""));
        }
    }

    [Fact]
    public void DeployEnvironment_GivesTheParameterFilesAndKoyebScript_EveryInputTheyRead()
    {
        var job = Yaml.Load(".github/workflows/deploy-environment.yml").Map("jobs").Map("deploy");
        var env = job.Map("env");
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
                Assert.True(env.Get(name) is not null, $"{Path.GetFileName(file)} reads {name}, which deploy-environment.yml does not set for the job");
            }
        }
        Assert.Equal("${{ vars.AUTH_MODE || 'jwt' }}", env.Scalar("AUTH_MODE"));
        // The Koyeb rollout gets its base URL (deploy.sh refuses to run without it).
        var koyeb = Steps(job).Single(s => s.Scalar("name") == "Roll out to Koyeb");
        Assert.Equal("${{ vars.KOYEB_BASE_URL || vars.KOYEB_URL }}", koyeb.Map("env").Scalar("BASE_URL"));
    }

    private const string ReportStep = "Vulnerable packages (report only)";

    private static IEnumerable<(string Name, YamlMappingNode Job)> Jobs(YamlMappingNode workflow) =>
        workflow.Map("jobs").Children.Select(p => (((YamlScalarNode)p.Key).Value!, Assert.IsType<YamlMappingNode>(p.Value)));

    // A job that calls a reusable workflow has no steps of its own.
    private static IEnumerable<YamlMappingNode> Steps(YamlMappingNode job) =>
        job.Get("steps") is YamlSequenceNode steps ? steps.Children.Cast<YamlMappingNode>() : [];

    private static string StepName(YamlMappingNode step) => step.Scalar("name") ?? step.Scalar("uses") ?? step.Scalar("run") ?? "?";

    // `needs: build` and `needs: [build]` mean the same.
    private static IReadOnlyList<string> Sequence(YamlNode node, string key) => node.Get(key) switch
    {
        YamlScalarNode scalar => [scalar.Value!],
        YamlSequenceNode sequence => [.. sequence.Children.Select(c => ((YamlScalarNode)c).Value!)],
        _ => throw new Xunit.Sdk.XunitException($"'{key}' is missing"),
    };
}
