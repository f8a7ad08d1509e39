using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MasterMcp.Deploy.Tests.Infrastructure;

/// <summary>
/// infra/&lt;environment&gt;.bicepparam compiled and evaluated by the real Bicep CLI (<c>bicep snapshot</c>) for one auth mode:
/// every expression the deployment can know before it runs is computed, so tests read the resources, app settings and
/// outputs Azure would receive. Values only known at deploy time stay as <c>reference('&lt;resource id&gt;', …).property</c>,
/// which <see cref="IsReference"/> checks against the resource they must come from.
/// </summary>
public sealed partial record BicepSnapshot(IReadOnlyList<JsonNode> Resources, JsonObject Outputs)
{
    public const string SubscriptionId = "00000000-0000-0000-0000-000000000001";
    public const string ResourceGroup = "rg-snapshot";

    private static readonly ConcurrentDictionary<string, Lazy<Task<BicepSnapshot>>> Cache = new(StringComparer.Ordinal);

    /// <summary>The one resource of <paramref name="type"/> the template creates (not an <c>existing</c> reference).</summary>
    public JsonNode Single(string type) =>
        Resources.SingleOrDefault(r => (string?)r["type"] == type && r["existing"] is null)
        ?? throw new Xunit.Sdk.XunitException($"No single resource of type {type}; types: {string.Join(", ", Resources.Select(r => (string?)r["type"]))}");

    /// <summary>The function app's app settings, name to evaluated value.</summary>
    public Dictionary<string, string> AppSettings() =>
        Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => s!["value"]!.ToString());

    /// <summary>True when <paramref name="value"/> is exactly <paramref name="resource"/>'s runtime <paramref name="property"/> (a <c>reference(id, api).property</c>).</summary>
    public static bool IsReference(string? value, JsonNode resource, string property)
    {
        var match = value is null ? null : ReferencePattern().Match(value);
        return match is { Success: true }
            && match.Groups["id"].Value == (string?)resource["id"]
            && match.Groups["property"].Value == property;
    }

    /// <summary>
    /// The snapshot of <paramref name="environment"/> in auth <paramref name="mode"/>, with the inputs the deploy workflow
    /// would set for that mode (<paramref name="extra"/> overrides them); computed once per distinct input.
    /// </summary>
    public static Task<BicepSnapshot> OfAsync(string environment, string mode, Dictionary<string, string?>? extra = null)
    {
        var variables = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["BICEP_TELEMETRY_ENABLED"] = "false",
            ["AUTH_MODE"] = mode,
            ["AZURE_BASE_URL"] = null,
            ["AUTH_JWT_AUDIENCE"] = null,
            ["AUTH_BROWSER_LOGIN_CLIENT_ID"] = null,
            ["AUTH_UPSTREAM_PRESET"] = null,
            ["APP_VERSION"] = null,
            ["DEPLOYER_PRINCIPAL_ID"] = null,
            ["AUTH_JWT_ISSUER"] = mode == "jwt" ? "https://login.example.com/tenant/v2.0" : null,
            ["AUTH_UPSTREAM_ISSUER"] = mode == "gateway" ? "https://idp.example.com" : null,
            ["AUTH_UPSTREAM_CLIENT_ID"] = mode == "gateway" ? "master-mcp" : null,
        };
        foreach (var (name, value) in extra ?? [])
        {
            variables[name] = value;
        }
        var key = environment + "\n" + string.Join("\n", variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
        return Cache.GetOrAdd(key, _ => new Lazy<Task<BicepSnapshot>>(() => RunAsync(environment, variables))).Value;
    }

    /// <summary>Runs <c>bicep snapshot</c>; the result, failed or not (a refused parameter value is a failure with a message).</summary>
    public static async Task<(ProcessResult Result, JsonNode? Snapshot)> TryRunAsync(string environment, Dictionary<string, string?> variables)
    {
        // bicep snapshot writes <name>.snapshot.json next to the parameter file: work on a copy of infra/.
        var work = Directory.CreateTempSubdirectory("bicep-snapshot-").FullName;
        try
        {
            CopyDirectory(Repo.PathOf("infra"), Path.Combine(work, "infra"));
            var result = await ProcessRunner.RunAsync(Repo.Bicep,
                ["snapshot", $"infra/{environment}.bicepparam", "--subscription-id", SubscriptionId, "--resource-group", ResourceGroup,
                 "--location", "westeurope", "--tenant-id", "00000000-0000-0000-0000-000000000002"],
                workingDirectory: work, environment: variables, timeout: TimeSpan.FromSeconds(120));
            var file = Path.Combine(work, "infra", $"{environment}.snapshot.json");
            return (result, result.ExitCode == 0 && File.Exists(file) ? JsonNode.Parse(await File.ReadAllTextAsync(file)) : null);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<BicepSnapshot> RunAsync(string environment, Dictionary<string, string?> variables)
    {
        var (result, root) = await TryRunAsync(environment, variables);
        Assert.True(root is not null, $"bicep snapshot {environment} (AUTH_MODE={variables["AUTH_MODE"]}) failed:\n{result.Output}");
        Assert.Empty(root!["diagnostics"]!.AsArray());
        return new BicepSnapshot([.. root["predictedResources"]!.AsArray().OfType<JsonNode>()], root["outputs"]?.AsObject() ?? []);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    [GeneratedRegex(@"^\[reference\('(?<id>[^']+)', '[0-9a-z-]+'\)\.(?<property>\w+)\]$")]
    private static partial Regex ReferencePattern();
}
