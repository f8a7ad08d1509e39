using System.Text.Json.Nodes;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>The Bicep files compile and lint without a single warning, and the compiled template wires what the gateway needs.</summary>
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

    [Fact]
    public async Task Template_AssignsTheFiveRoles_ToTheAppIdentity()
    {
        var template = await CompileMainAsync();
        var module = template.Module("roles")["properties"]!["template"]!;
        var roleIds = module["variables"]!["roles"]!.AsObject();
        // roleDefinitionId is "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('roles').<name>)]".
        var roles = template.Resources()
            .Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments")
            .Select(r => (Assignment: r, RoleId: ResolveRoleId(r["properties"]!["roleDefinitionId"]!.ToString(), roleIds)))
            .ToList();
        var assigned = string.Join("\n", roles.Select(r => r.RoleId));

        foreach (var (role, id) in new[]
        {
            ("Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"),
            ("Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"),
            ("Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88"),
            ("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"),
            ("Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb"),
        })
        {
            var match = roles.SingleOrDefault(r => r.RoleId == id);
            Assert.True(match.Assignment is not null, $"No role assignment for {role} ({id}). Assigned:\n{assigned}");
            Assert.Equal("[parameters('principalId')]", (string?)match.Assignment!["properties"]!["principalId"]);
            Assert.Equal("ServicePrincipal", (string?)match.Assignment["properties"]!["principalType"]);
            Assert.StartsWith("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions'", match.Assignment["properties"]!["roleDefinitionId"]!.ToString(), StringComparison.Ordinal);
        }

        // principalId is the user-assigned identity's.
        var rolesModule = template.Module("roles");
        Assert.Contains("'identity'", rolesModule["properties"]!["parameters"]!["principalId"]!["value"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("outputs.principalId", rolesModule["properties"]!["parameters"]!["principalId"]!["value"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FunctionApp_IsFlexConsumption_DotnetIsolated10()
    {
        var template = await CompileMainAsync();
        var plan = template.Resources().Single(r => (string?)r["type"] == "Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);

        var site = Site(template);
        Assert.Equal("functionapp,linux", (string?)site["kind"]);
        var config = site["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);
        Assert.Equal("UserAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
        // FUNCTIONS_WORKER_RUNTIME must not be set on Flex Consumption.
        Assert.DoesNotContain(AppSettings(template), s => s.Name == "FUNCTIONS_WORKER_RUNTIME");
    }

    [Fact]
    public async Task FunctionApp_UsesTheIdentity_ForStorageKeyVaultAndAppInsights()
    {
        var template = await CompileMainAsync();
        var site = Site(template);
        var settings = AppSettings(template).ToDictionary(s => s.Name, s => s.Value);

        Assert.Equal("[parameters('identityId')]", (string?)site["properties"]!["keyVaultReferenceIdentity"]);
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);

        Assert.Equal("[parameters('storageAccountName')]", settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("[parameters('identityClientId')]", settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal("[parameters('identityClientId')]", settings["AZURE_CLIENT_ID"]);
        Assert.DoesNotContain(settings.Keys, k => k == "AzureWebJobsStorage");

        Assert.Equal("[parameters('appInsightsConnectionString')]", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);

        Assert.Equal("[parameters('keyVaultUri')]", settings["MASTER__secrets__key_vault_uri"]);
        // kv: references, resolved by the gateway itself: they work on the platform and in a container alike.
        Assert.Equal("[format('kv:{0}', parameters('tokenEncKeySecretName'))]", settings["TOKEN_ENC_KEY"]);
        Assert.DoesNotContain(settings.Values, v => v.Contains("@Microsoft.KeyVault", StringComparison.Ordinal));

        // The module's parameters come from the identity, Key Vault and monitoring modules.
        var parameters = template.Module("functionapp")["properties"]!["parameters"]!;
        Assert.Contains("'identity'", parameters["identityClientId"]!["value"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("'identity'", parameters["identityId"]!["value"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("'keyvault'", parameters["keyVaultUri"]!["value"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FunctionApp_ConfiguresClientAuthentication_PerMode_WithSecretsAsKvReferences()
    {
        var template = await CompileMainAsync();
        var settings = AppSettings(template).ToDictionary(s => s.Name, s => s.Value);

        // Production refuses to start without authentication: the template does not offer 'none'.
        var authMode = template.Root["parameters"]!["authMode"]!;
        Assert.Equal(["jwt", "gateway"], authMode["allowedValues"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("jwt", (string?)authMode["defaultValue"]);
        Assert.Equal("[parameters('authMode')]", settings["MASTER__auth__mode"]);
        Assert.Equal("Production", settings["MASTER_ENV"]);

        // What each mode's settings evaluate to (and that the other mode's are empty): BicepSnapshotTests, per
        // environment and mode, on the evaluated template rather than on expressions copied from the .bicep files.
        // main.bicep hands every auth parameter to the module unchanged.
        var passed = template.Module("functionapp")["properties"]!["parameters"]!;
        foreach (var name in new[]
        {
            "authMode", "baseUrl", "authJwtIssuer", "authJwtAudience", "authBrowserLoginClientId", "browserLoginClientSecretName",
            "authUpstreamPreset", "authUpstreamIssuer", "authUpstreamClientId", "upstreamClientSecretName", "signingKeySecretName",
        })
        {
            Assert.Equal($"[parameters('{name}')]", (string?)passed[name]?["value"]);
        }
        var mainParameters = template.Root["parameters"]!;
        Assert.Equal("upstream-client-secret", (string?)mainParameters["upstreamClientSecretName"]!["defaultValue"]);
        Assert.Equal("auth-signing-key", (string?)mainParameters["signingKeySecretName"]!["defaultValue"]);
        Assert.Equal("token-enc-key", (string?)mainParameters["tokenEncKeySecretName"]!["defaultValue"]);
    }

    [Fact]
    public async Task FunctionApp_BaseUrl_DefaultsToTheAppsOwnHttpsUrl()
    {
        var template = await CompileMainAsync();
        var settings = AppSettings(template).ToDictionary(s => s.Name, s => s.Value);
        var module = template.Module("functionapp")["properties"]!["template"]!;

        Assert.Equal("[variables('effectiveBaseUrl')]", settings["MASTER_BASE_URL"]);
        Assert.Equal("[if(empty(parameters('baseUrl')), format('https://{0}.azurewebsites.net', parameters('appName')), parameters('baseUrl'))]",
            (string?)module["variables"]!["effectiveBaseUrl"]);
        Assert.Equal("", (string?)template.Root["parameters"]!["baseUrl"]!["defaultValue"]);
        // The site's default host name is <appName>.azurewebsites.net only without a unique-hostname scope.
        Assert.Null(Site(template)["properties"]!["autoGeneratedDomainNameLabelScope"]);
        Assert.Equal("[variables('effectiveBaseUrl')]", (string?)module["outputs"]!["baseUrl"]!["value"]);
        Assert.Contains("'functionapp'", template.Root["outputs"]!["baseUrl"]!["value"]!.ToString(), StringComparison.Ordinal);
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

    [Fact]
    public async Task Resources_HaveLocalAuthOff_AndKeyVaultUsesRbac()
    {
        var template = await CompileMainAsync();
        var storage = template.Resources().Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts" && r["existing"] is null);
        Assert.False((bool)storage["properties"]!["allowSharedKeyAccess"]!);
        var deploymentContainers = template.Resources().Where(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Single(deploymentContainers);
        Assert.DoesNotContain(template.Resources(), r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/tableServices/tables");

        var vault = template.Resources().Single(r => (string?)r["type"] == "Microsoft.KeyVault/vaults" && r["existing"] is null);
        Assert.True((bool)vault["properties"]!["enableRbacAuthorization"]!);

        var appInsights = template.Resources().Single(r => (string?)r["type"] == "Microsoft.Insights/components" && r["existing"] is null);
        Assert.True((bool)appInsights["properties"]!["DisableLocalAuth"]!);
        var workspace = template.Resources().Single(r => (string?)r["type"] == "Microsoft.OperationalInsights/workspaces");
        Assert.True((bool)workspace["properties"]!["features"]!["disableLocalAuth"]!);
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

    [Fact]
    public async Task Template_OutputsTheFunctionAppUrl()
    {
        var template = await CompileMainAsync();
        var outputs = template.Root["outputs"]!;
        Assert.Contains("functionapp", outputs["functionAppUrl"]!["value"]!.ToString(), StringComparison.Ordinal);
        var moduleOutputs = template.Module("functionapp")["properties"]!["template"]!["outputs"]!;
        Assert.Equal("[format('https://{0}', reference(resourceId('Microsoft.Web/sites', parameters('appName')), '2024-04-01').defaultHostName)]",
            (string?)moduleOutputs["url"]!["value"]);
    }

    private static string ResolveRoleId(string expression, JsonObject roleIds)
    {
        var match = System.Text.RegularExpressions.Regex.Match(expression, @"variables\('roles'\)\.(\w+)");
        return match.Success && roleIds[match.Groups[1].Value] is { } id ? id.ToString() : expression;
    }

    private static JsonNode Site(CompiledTemplate template) =>
        template.Resources().Single(r => (string?)r["type"] == "Microsoft.Web/sites");

    private static IEnumerable<(string Name, string Value)> AppSettings(CompiledTemplate template)
    {
        var module = template.Module("functionapp")["properties"]!["template"]!;
        Assert.Equal("[concat(variables('baseAppSettings'), parameters('additionalAppSettings'))]",
            (string?)Site(template)["properties"]!["siteConfig"]!["appSettings"]);
        return module["variables"]!["baseAppSettings"]!.AsArray()
            .Select(s => ((string)s!["name"]!, s["value"]!.ToString()));
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
