using System.Text.Json.Nodes;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>
/// The Bicep files compile and lint without a single warning, and the templates evaluated for each auth mode
/// (<see cref="BicepSnapshot"/>) create the resources, identity wiring and settings the gateway needs.
/// </summary>
public sealed class BicepTests
{
    public static TheoryData<string> BicepFiles() => FilesUnderInfra("*.bicep");

    public static TheoryData<string> ParameterFiles() => FilesUnderInfra("*.bicepparam");

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task BicepFile_BuildsAndLints_WithoutDiagnostics(string relative)
    {
        var outDir = Directory.CreateTempSubdirectory("bicep-").FullName;
        try
        {
            var build = await RunBicepAsync("build", relative, "--outdir", outDir);
            AssertClean(build, $"bicep build {relative}");
            var lint = await RunBicepAsync("lint", relative);
            AssertClean(lint, $"bicep lint {relative}");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public async Task ParameterFile_BuildsAndLints_WithoutDiagnostics(string relative)
    {
        var outFile = Path.Combine(Directory.CreateTempSubdirectory("bicepparam-").FullName, "parameters.json");
        var build = await RunBicepAsync("build-params", relative, "--outfile", outFile);
        AssertClean(build, $"bicep build-params {relative}");
        var lint = await RunBicepAsync("lint", relative);
        AssertClean(lint, $"bicep lint {relative}");

        var parameters = JsonNode.Parse(await File.ReadAllTextAsync(outFile))!["parameters"]!;
        var environment = Path.GetFileNameWithoutExtension(relative);
        Assert.Equal(environment, (string?)parameters["environmentName"]?["value"]);
    }

    public static TheoryData<string> AuthModes() => ["jwt", "gateway"];

    [Theory]
    [MemberData(nameof(AuthModes))]
    public async Task Template_AssignsTheFiveRoles_ToTheAppIdentity_OnTheirResources(string mode)
    {
        var snapshot = await BicepSnapshot.OfAsync("production", mode);
        var identity = snapshot.Single("Microsoft.ManagedIdentity/userAssignedIdentities");
        var storage = (string)snapshot.Single("Microsoft.Storage/storageAccounts")["id"]!;
        var vault = (string)snapshot.Single("Microsoft.KeyVault/vaults")["id"]!;
        var appInsights = (string)snapshot.Single("Microsoft.Insights/components")["id"]!;
        var assignments = snapshot.Resources.Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments").ToList();

        foreach (var (role, id, scope) in new[]
        {
            ("Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", storage),
            ("Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", storage),
            ("Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", storage),
            ("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", vault),
            ("Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb", appInsights),
        })
        {
            var definition = $"/subscriptions/{BicepSnapshot.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{id}";
            var assignment = assignments.SingleOrDefault(r => (string?)r["properties"]!["roleDefinitionId"] == definition);
            Assert.True(assignment is not null, $"No role assignment for {role} ({id}). Assigned:\n{string.Join("\n", assignments.Select(a => a["properties"]!["roleDefinitionId"]))}");
            Assert.True(BicepSnapshot.IsReference((string?)assignment!["properties"]!["principalId"], identity, "principalId"),
                $"{role} is assigned to {assignment["properties"]!["principalId"]}, not to the app's identity {identity["id"]}");
            Assert.Equal("ServicePrincipal", (string?)assignment["properties"]!["principalType"]);
            // An extension resource: its id starts with the scope it is assigned on.
            Assert.StartsWith($"[extensionResourceId('{scope}', 'Microsoft.Authorization/roleAssignments'", (string?)assignment["id"], StringComparison.Ordinal);
        }
        Assert.Equal(5, assignments.Count);
    }

    [Theory]
    [MemberData(nameof(AuthModes))]
    public async Task FunctionApp_IsFlexConsumption_DotnetIsolated10(string mode)
    {
        var snapshot = await BicepSnapshot.OfAsync("production", mode);
        var plan = snapshot.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);

        var site = snapshot.Single("Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", (string?)site["kind"]);
        Assert.Equal((string?)plan["id"], (string?)site["properties"]!["serverFarmId"]);
        Assert.True((bool)site["properties"]!["httpsOnly"]!);
        var config = site["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);
        var deployment = config["deployment"]!["storage"]!;
        Assert.Equal("UserAssignedIdentity", (string?)deployment["authentication"]!["type"]);
        Assert.Equal((string?)snapshot.Single("Microsoft.ManagedIdentity/userAssignedIdentities")["id"], (string?)deployment["authentication"]!["userAssignedIdentityResourceId"]);
        // FUNCTIONS_WORKER_RUNTIME must not be set on Flex Consumption.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", snapshot.AppSettings().Keys);
    }

    [Theory]
    [MemberData(nameof(AuthModes))]
    public async Task FunctionApp_UsesTheIdentity_ForStorageKeyVaultAndAppInsights(string mode)
    {
        var snapshot = await BicepSnapshot.OfAsync("production", mode);
        var site = snapshot.Single("Microsoft.Web/sites");
        var identity = snapshot.Single("Microsoft.ManagedIdentity/userAssignedIdentities");
        var identityId = (string)identity["id"]!;
        var settings = snapshot.AppSettings();

        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        Assert.Equal([identityId], site["identity"]!["userAssignedIdentities"]!.AsObject().Select(p => p.Key));
        Assert.Equal(identityId, (string?)site["properties"]!["keyVaultReferenceIdentity"]);

        // Storage through the identity: the account the template creates, no connection string.
        Assert.Equal((string?)snapshot.Single("Microsoft.Storage/storageAccounts")["name"], settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.True(BicepSnapshot.IsReference(settings["AzureWebJobsStorage__clientId"], identity, "clientId"), settings["AzureWebJobsStorage__clientId"]);
        Assert.True(BicepSnapshot.IsReference(settings["AZURE_CLIENT_ID"], identity, "clientId"), settings["AZURE_CLIENT_ID"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);

        var appInsights = snapshot.Single("Microsoft.Insights/components");
        Assert.True(BicepSnapshot.IsReference(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"], appInsights, "ConnectionString"), settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.Matches($@"^\[format\('ClientId=\{{0}};Authorization=AAD', reference\('{System.Text.RegularExpressions.Regex.Escape(identityId)}', '[0-9a-z-]+'\)\.clientId\)\]$",
            settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);

        Assert.True(BicepSnapshot.IsReference(settings["MASTER__secrets__key_vault_uri"], snapshot.Single("Microsoft.KeyVault/vaults"), "vaultUri"), settings["MASTER__secrets__key_vault_uri"]);
        // kv: references, resolved by the gateway itself: they work on the platform and in a container alike.
        Assert.Equal("kv:token-enc-key", settings["TOKEN_ENC_KEY"]);
        Assert.DoesNotContain(settings.Values, v => v.Contains("@Microsoft.KeyVault", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Template_OffersOnlyAuthenticatedModes_AndRefusesNone()
    {
        // Production refuses to start without authentication: the template does not offer 'none'.
        var template = await CompileMainAsync();
        var authMode = template.Root["parameters"]!["authMode"]!;
        Assert.Equal(["jwt", "gateway"], authMode["allowedValues"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("jwt", (string?)authMode["defaultValue"]);

        var (result, snapshot) = await BicepSnapshot.TryRunAsync("production", new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["BICEP_TELEMETRY_ENABLED"] = "false",
            ["AUTH_MODE"] = "none",
        });
        Assert.Null(snapshot);
        // BCP033: the value read from AUTH_MODE is not one of the parameter's allowed values.
        Assert.Contains("BCP033", result.Output, StringComparison.Ordinal);
        Assert.Contains("'none'", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AuthModes))]
    public async Task FunctionApp_BaseUrl_DefaultsToTheAppsOwnHttpsUrl_AndIsAnOutput(string mode)
    {
        var snapshot = await BicepSnapshot.OfAsync("staging", mode);
        var site = snapshot.Single("Microsoft.Web/sites");
        var expected = $"https://{site["name"]}.azurewebsites.net";

        Assert.Equal(expected, snapshot.AppSettings()["MASTER_BASE_URL"]);
        // The site's default host name is <appName>.azurewebsites.net only without a unique-hostname scope.
        Assert.Null(site["properties"]!["autoGeneratedDomainNameLabelScope"]);
        Assert.Equal(expected, (string?)snapshot.Outputs["baseUrl"]);
        Assert.Equal((string?)site["name"], (string?)snapshot.Outputs["functionAppName"]);
        Assert.Matches($@"^\[format\('https://\{{0}}', reference\('{System.Text.RegularExpressions.Regex.Escape((string)site["id"]!)}', '[0-9a-z-]+'\)\.defaultHostName\)\]$",
            (string?)snapshot.Outputs["functionAppUrl"]);
    }

    [Fact]
    public async Task ParameterFiles_TakeTheAuthSettings_FromTheEnvironment()
    {
        var outFile = Path.Combine(Directory.CreateTempSubdirectory("bicepparam-").FullName, "parameters.json");
        var unset = await RunBicepAsync(new Dictionary<string, string?>(), "build-params", "infra/production.bicepparam", "--outfile", outFile);
        Assert.True(unset.ExitCode == 0, unset.Output);
        var defaults = JsonNode.Parse(await File.ReadAllTextAsync(outFile))!["parameters"]!;
        Assert.Equal("jwt", (string?)defaults["authMode"]!["value"]);
        Assert.Equal("", (string?)defaults["baseUrl"]!["value"]);

        var set = await RunBicepAsync(new Dictionary<string, string?>
        {
            ["AUTH_MODE"] = "gateway",
            ["AZURE_BASE_URL"] = "https://mcp.example.com",
            ["AUTH_UPSTREAM_ISSUER"] = "https://login.example.com",
            ["AUTH_UPSTREAM_CLIENT_ID"] = "master-mcp",
        }, "build-params", "infra/production.bicepparam", "--outfile", outFile);
        Assert.True(set.ExitCode == 0, set.Output);
        var parameters = JsonNode.Parse(await File.ReadAllTextAsync(outFile))!["parameters"]!;
        Assert.Equal("gateway", (string?)parameters["authMode"]!["value"]);
        Assert.Equal("https://mcp.example.com", (string?)parameters["baseUrl"]!["value"]);
        Assert.Equal("https://login.example.com", (string?)parameters["authUpstreamIssuer"]!["value"]);
        Assert.Equal("master-mcp", (string?)parameters["authUpstreamClientId"]!["value"]);
    }

    [Theory]
    [MemberData(nameof(AuthModes))]
    public async Task Resources_HaveLocalAuthOff_AndKeyVaultUsesRbac(string mode)
    {
        var snapshot = await BicepSnapshot.OfAsync("production", mode);
        Assert.False((bool)snapshot.Single("Microsoft.Storage/storageAccounts")["properties"]!["allowSharedKeyAccess"]!);
        Assert.True((bool)snapshot.Single("Microsoft.KeyVault/vaults")["properties"]!["enableRbacAuthorization"]!);
        Assert.True((bool)snapshot.Single("Microsoft.Insights/components")["properties"]!["DisableLocalAuth"]!);
        Assert.True((bool)snapshot.Single("Microsoft.OperationalInsights/workspaces")["properties"]!["features"]!["disableLocalAuth"]!);
    }

    [Fact]
    public async Task FunctionApp_IsCreated_AfterTheRedisSecretItResolvesAtStartup()
    {
        var template = await CompileMainAsync();
        var dependsOn = template.Module("functionapp")["dependsOn"]!.AsArray().Select(d => d!.ToString()).ToList();
        Assert.Contains("[resourceId('Microsoft.Resources/deployments', 'redis')]", dependsOn);
        Assert.Contains("[resourceId('Microsoft.Resources/deployments', 'roles')]", dependsOn);
        // The environment name no longer claims to become MASTER_ENV (both environments run Production).
        var description = (string)template.Root["parameters"]!["environmentName"]!["metadata"]!["description"]!;
        Assert.DoesNotContain("becomes MASTER_ENV", description, StringComparison.Ordinal);
    }

    private static async Task<CompiledTemplate> CompileMainAsync()
    {
        var result = await RunBicepAsync("build", "infra/main.bicep", "--stdout");
        Assert.True(result.ExitCode == 0, result.Output);
        return new CompiledTemplate(JsonNode.Parse(result.StdOut)!);
    }

    private static Task<ProcessResult> RunBicepAsync(params string[] arguments) =>
        RunBicepAsync(new Dictionary<string, string?>(), arguments);

    // The parameter files read AUTH_*, AZURE_BASE_URL, APP_VERSION and DEPLOYER_PRINCIPAL_ID: unset unless given.
    private static Task<ProcessResult> RunBicepAsync(Dictionary<string, string?> environment, params string[] arguments)
    {
        var full = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["BICEP_TELEMETRY_ENABLED"] = "false",
        };
        foreach (var name in new[] { "AUTH_MODE", "AZURE_BASE_URL", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE", "AUTH_BROWSER_LOGIN_CLIENT_ID", "AUTH_UPSTREAM_PRESET", "AUTH_UPSTREAM_ISSUER", "AUTH_UPSTREAM_CLIENT_ID" })
        {
            full[name] = null;
        }
        foreach (var (key, value) in environment)
        {
            full[key] = value;
        }
        return ProcessRunner.RunAsync(Repo.Bicep, arguments, environment: full, timeout: TimeSpan.FromSeconds(90));
    }

    private static void AssertClean(ProcessResult result, string what)
    {
        Assert.True(result.ExitCode == 0, $"{what} failed:\n{result.Output}");
        var diagnostics = (result.StdErr + result.StdOut).Split('\n')
            .Where(l => l.Contains(": Warning ", StringComparison.Ordinal) || l.Contains(": Error ", StringComparison.Ordinal) || l.Contains(": Info ", StringComparison.Ordinal))
            .ToList();
        Assert.True(diagnostics.Count == 0, $"{what} reported diagnostics:\n{string.Join('\n', diagnostics)}");
    }

    private static TheoryData<string> FilesUnderInfra(string pattern)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Repo.PathOf("infra"), pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Repo.Root, file));
        }
        return data;
    }
}
