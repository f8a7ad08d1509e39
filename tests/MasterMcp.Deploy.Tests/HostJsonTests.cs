using System.Globalization;
using System.Text.Json.Nodes;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>
/// host.json's functionTimeout is within the limit of every hosting plan deploy/README.md supports, the plans whose
/// limit it exceeds are marked unsupported, and the template deploys only a supported plan.
/// </summary>
public sealed class HostJsonTests
{
    [Fact]
    public void FunctionTimeout_FitsEverySupportedPlan_AndExceedsOnlyUnsupportedOnes()
    {
        var host = JsonNode.Parse(Repo.ReadText("host.json"))!;
        Assert.Equal("2.0", (string?)host["version"]);
        Assert.Equal("", (string?)host["extensions"]!["http"]!["routePrefix"]);
        var timeout = TimeSpan.Parse((string)host["functionTimeout"]!, CultureInfo.InvariantCulture);
        Assert.True(timeout > TimeSpan.Zero);

        var plans = SupportedPlansTable();
        Assert.Contains(plans, p => p.Plan.StartsWith("Flex Consumption", StringComparison.Ordinal) && p.Supported);
        Assert.Contains(plans, p => p.Plan.StartsWith("Consumption", StringComparison.Ordinal));
        foreach (var (plan, supported, limit) in plans)
        {
            var fits = limit is null || timeout <= limit;
            Assert.True(fits == supported,
                $"deploy/README.md marks '{plan}' as {(supported ? "supported" : "not supported")}, but host.json's functionTimeout {timeout} {(fits ? "fits" : "exceeds")} its limit {limit?.ToString() ?? "(none)"}");
        }
    }

    [Fact]
    public async Task Template_DeploysOnlyASupportedPlan()
    {
        var result = await ProcessRunner.RunAsync(Repo.Bicep, ["build", "infra/main.bicep", "--stdout"], timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.Output);
        var plans = new CompiledTemplate(JsonNode.Parse(result.StdOut)!).Resources().Where(r => (string?)r["type"] == "Microsoft.Web/serverfarms").ToList();
        var plan = Assert.Single(plans);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.Contains(SupportedPlansTable(), p => p.Supported && p.Plan.Contains("Flex Consumption", StringComparison.Ordinal));
    }

    /// <summary>Rows of the README's "Hosting plans and host.json" table: plan, supported (yes/no), limit (none = unbounded).</summary>
    private static List<(string Plan, bool Supported, TimeSpan? Limit)> SupportedPlansTable()
    {
        var readme = Repo.ReadText("deploy/README.md");
        var start = readme.IndexOf("### Hosting plans and `host.json`", StringComparison.Ordinal);
        Assert.True(start >= 0, "deploy/README.md lost its 'Hosting plans and host.json' section");
        var rows = readme[start..].Split('\n')
            .SkipWhile(l => !l.StartsWith("| Plan |", StringComparison.Ordinal))
            .Skip(2)
            .TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .ToList();
        Assert.True(rows.Count >= 3, "the hosting plans table has too few rows");
        return rows.Select(r =>
        {
            var supported = r[1].TrimStart('*').StartsWith("yes", StringComparison.Ordinal);
            var minutes = System.Text.RegularExpressions.Regex.Match(r[2], @"^(\d+) minutes");
            TimeSpan? limit = r[2].StartsWith("none", StringComparison.Ordinal) ? null
                : minutes.Success ? TimeSpan.FromMinutes(int.Parse(minutes.Groups[1].Value, CultureInfo.InvariantCulture))
                : throw new Xunit.Sdk.XunitException($"unreadable limit '{r[2]}' for plan '{r[0]}'");
            return (r[0], supported, limit);
        }).ToList();
    }
}
