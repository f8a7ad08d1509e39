using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>deploy/koyeb/deploy.sh against a stand-in `koyeb` that records its calls and says whether the service exists.</summary>
public sealed class KoyebScriptTests : IDisposable
{
    private const string Image = "ghcr.io/example/master-mcp@sha256:abc";
    private readonly DirectoryInfo _bin = Directory.CreateTempSubdirectory("koyeb-stub-");

    public KoyebScriptTests()
    {
        // One line per call, arguments separated by a unit separator so values with spaces stay intact.
        var stub = Path.Combine(_bin.FullName, "koyeb");
        File.WriteAllText(stub, """
            #!/usr/bin/env bash
            (IFS=$'\x1f'; printf '%s\n' "$*") >> "$KOYEB_STUB_LOG"
            case "$1 $2 $4" in
              # After the rollout the script reads the service and its deployments as JSON (as `-o json` prints them).
              "services get -o") echo '{"id":"svc-1","name":"gateway","latest_deployment_id":"dep-1"}'; exit 0 ;;
              "deployments get -o")
                if [[ "$3" == dep-1 ]]; then
                  timing=""
                  [[ "${KOYEB_STUB_TIMING_SET:-0}" == 1 ]] && timing=',"interval":10,"timeout":3'
                  echo '{"id":"dep-1","status":"HEALTHY","definition":{"name":"gateway","type":"WEB","health_checks":[{"grace_period":60'"$timing"',"http":{"port":8080,"path":"/health"}}],"scalings":[{"min":1,"max":1}]}}'
                else
                  echo "{\"id\":\"$3\",\"status\":\"${KOYEB_STUB_NEW_STATUS:-HEALTHY}\"}"
                fi
                exit 0 ;;
            esac
            case "$1 $2" in
              "apps get") [[ "$KOYEB_STUB_APP_EXISTS" == 1 ]] && exit 0 || { echo "app not found" >&2; exit 1; } ;;
              "services get") [[ "$KOYEB_STUB_SERVICE_EXISTS" == 1 ]] && exit 0 || { echo "service not found" >&2; exit 1; } ;;
            esac
            exit 0
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // curl stands in for the Koyeb API: it records the request and its body and answers with the new deployment.
        var curl = Path.Combine(_bin.FullName, "curl");
        File.WriteAllText(curl, """
            #!/usr/bin/env bash
            (IFS=$'\x1f'; printf '%s\n' "$*") >> "$KOYEB_STUB_LOG.curl"
            cat > "$KOYEB_STUB_LOG.body"
            echo '{"service":{"id":"svc-1","latest_deployment_id":"dep-2"}}'
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(curl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public async Task MissingService_IsCreated_WithPortRouteHealthCheckScalingAndSecrets()
    {
        var calls = await RunAsync(appExists: false, serviceExists: false);

        Assert.Equal(["apps", "get", "master-mcp"], calls[0]);
        Assert.Equal(["apps", "create", "master-mcp"], calls[1]);
        Assert.Equal(["services", "get", "master-mcp/gateway"], calls[2]);
        var create = calls[3];
        Assert.Equal(["services", "create", "gateway", "--app", "master-mcp", "--type", "web"], create[..7]);
        AssertDesiredState(create);
        Assert.DoesNotContain(calls, c => c[1] == "update");
        // Then the health check timing, which only the API can set, and the wait for the deployment that applies it.
        Assert.Equal(["services", "get", "master-mcp/gateway", "-o", "json"], calls[4]);
        Assert.Equal(["deployments", "get", "dep-1", "-o", "json"], calls[5]);
        Assert.Equal(["deployments", "get", "dep-2", "-o", "json"], calls[6]);
        Assert.Equal(7, calls.Count);
    }

    [Fact]
    public async Task HealthChecks_GetAnExplicitIntervalAndTimeout_ThroughTheApi()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_HEALTH_INTERVAL_SECONDS"] = "15", ["KOYEB_HEALTH_TIMEOUT_SECONDS"] = "4" });
        Assert.True(result.ExitCode == 0, result.Output);

        var request = Assert.Single(await File.ReadAllLinesAsync(log + ".curl")).Split('\x1f');
        Assert.Contains("PATCH", request);
        Assert.Contains("https://koyeb-api.invalid/v1/services/svc-1", request);
        Assert.Contains("Authorization: Bearer test-token", request);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(log + ".body"))!;
        var check = Assert.Single(body["definition"]!["health_checks"]!.AsArray())!;
        Assert.Equal(15, (int)check["interval"]!);
        Assert.Equal(4, (int)check["timeout"]!);
        // The rest of the live definition is sent back unchanged.
        Assert.Equal(60, (int)check["grace_period"]!);
        Assert.Equal("/health", (string?)check["http"]!["path"]);
        Assert.Equal(1, (int)body["definition"]!["scalings"]![0]!["max"]!);
        Assert.Contains("Deployment dep-2 is healthy", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheckTiming_AlreadySet_CausesNoSecondDeployment()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_STUB_TIMING_SET"] = "1" });
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.False(File.Exists(log + ".curl"));
        Assert.Contains("Health checks already run every 10s with a 3s timeout", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheckTiming_DeploymentThatFails_FailsTheScript()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_STUB_NEW_STATUS"] = "ERROR" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("deployment dep-2 (health check timing) ended ERROR", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3", "3")]
    [InlineData("10", "0")]
    [InlineData("ten", "3")]
    public async Task HealthCheckTiming_Invalid_IsRefused_BeforeAnyCall(string interval, string timeout)
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_HEALTH_INTERVAL_SECONDS"] = interval, ["KOYEB_HEALTH_TIMEOUT_SECONDS"] = timeout });
        Assert.Equal(64, result.ExitCode);
        Assert.False(File.Exists(log));
    }

    [Fact]
    public async Task TwoInstancesMinimum_WithRedis_IsAllowed()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new()
        {
            ["KOYEB_MIN_SCALE"] = "2",
            ["KOYEB_MAX_SCALE"] = "4",
            ["KOYEB_SECRET_ENV"] = "TOKEN_ENC_KEY=master-token-enc-key\nMASTER_REDIS=master-redis",
        });
        Assert.True(result.ExitCode == 0, result.Output);
        var update = (await File.ReadAllLinesAsync(log)).Select(l => l.Split('\x1f')).Single(c => c[1] == "update");
        AssertFlag(update, "--min-scale", "2");
        AssertFlag(update, "--max-scale", "4");
        AssertFlag(update, "--env", "MASTER_REDIS={{secret.master-redis}}");
    }

    [Fact]
    public async Task ExistingService_IsUpdated()
    {
        var calls = await RunAsync(appExists: true, serviceExists: true);

        Assert.Equal(["apps", "get", "master-mcp"], calls[0]);
        Assert.Equal(["services", "get", "master-mcp/gateway"], calls[1]);
        var update = calls[2];
        Assert.Equal(["services", "update", "master-mcp/gateway"], update[..3]);
        AssertDesiredState(update);
        Assert.Equal(["services", "get", "master-mcp/gateway", "-o", "json"], calls[3]);
        Assert.DoesNotContain(calls, c => c[1] == "create");
    }

    [Fact]
    public async Task MinimumAboveMaximum_IsRefused_BeforeAnyCall()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_MIN_SCALE"] = "4", ["KOYEB_MAX_SCALE"] = "2" });
        Assert.Equal(64, result.ExitCode);
        Assert.False(File.Exists(log));
    }

    [Theory]
    [InlineData("KOYEB_MAX_SCALE", "3")]
    [InlineData("KOYEB_MIN_SCALE", "2")]
    public async Task MoreThanOneInstance_WithoutRedis_IsRefused_BeforeAnyCall(string name, string value)
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var settings = new Dictionary<string, string?> { ["KOYEB_MAX_SCALE"] = "3", [name] = value };
        var result = await RunScriptAsync(log, true, true, settings);
        Assert.True(result.ExitCode == 64, result.Output);
        Assert.Contains("KOYEB_MAX_SCALE=3 needs Redis", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("MASTER_REDIS", result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(log));
    }

    [Theory]
    [InlineData("KOYEB_SECRET_ENV", "TOKEN_ENC_KEY=master-token-enc-key\nMASTER_REDIS=master-redis", "MASTER_REDIS={{secret.master-redis}}")]
    [InlineData("KOYEB_ENV", "MASTER__scaleout__redis=redis.internal:6379", "MASTER__scaleout__redis=redis.internal:6379")]
    public async Task MoreThanOneInstance_WithRedis_IsPassedThrough(string name, string value, string expectedEnv)
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_MAX_SCALE"] = "3", [name] = value });
        Assert.True(result.ExitCode == 0, result.Output);
        var update = (await File.ReadAllLinesAsync(log)).Select(l => l.Split('\x1f')).Single(c => c[1] == "update");
        AssertFlag(update, "--max-scale", "3");
        AssertFlag(update, "--min-scale", "1");
        AssertFlag(update, "--env", expectedEnv);
    }

    [Fact]
    public async Task RedisVariable_WithoutAValue_DoesNotCountAsRedis()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["KOYEB_MAX_SCALE"] = "2", ["KOYEB_ENV"] = "MASTER_REDIS=" });
        Assert.True(result.ExitCode == 64, result.Output);
        Assert.False(File.Exists(log));
    }

    [Fact]
    public async Task GatewayMode_PassesUpstreamSettings_AndItsSecretsAsKoyebSecrets()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new()
        {
            ["AUTH_MODE"] = "gateway",
            ["AUTH_JWT_ISSUER"] = null,
            ["AUTH_UPSTREAM_ISSUER"] = "https://idp.example.com",
            ["AUTH_UPSTREAM_CLIENT_ID"] = "master-mcp",
        });
        Assert.True(result.ExitCode == 0, result.Output);
        var update = (await File.ReadAllLinesAsync(log)).Select(l => l.Split('\x1f')).Single(c => c[1] == "update");
        AssertFlag(update, "--env", "MASTER__auth__mode=gateway");
        AssertFlag(update, "--env", "MASTER__auth__upstream__preset=oidc");
        AssertFlag(update, "--env", "MASTER__auth__upstream__issuer=https://idp.example.com");
        AssertFlag(update, "--env", "MASTER__auth__upstream__client_id=master-mcp");
        AssertFlag(update, "--env", "MASTER__auth__upstream__client_secret={{secret.master-upstream-client-secret}}");
        AssertFlag(update, "--env", "MASTER__auth__signing_key={{secret.master-auth-signing-key}}");
        AssertFlag(update, "--env", "TOKEN_ENC_KEY={{secret.master-token-enc-key}}");
        Assert.DoesNotContain(update, a => a.StartsWith("MASTER__auth__jwt__", StringComparison.Ordinal));
        AssertSecretsAreReferences(update);
    }

    [Fact]
    public async Task JwtMode_WithBrowserLogin_TakesItsClientSecretFromAKoyebSecret()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["AUTH_BROWSER_LOGIN_CLIENT_ID"] = "browser", ["AUTH_JWT_AUDIENCE"] = "api://master" });
        Assert.True(result.ExitCode == 0, result.Output);
        var update = (await File.ReadAllLinesAsync(log)).Select(l => l.Split('\x1f')).Single(c => c[1] == "update");
        AssertFlag(update, "--env", "MASTER__auth__jwt__audience=api://master");
        AssertFlag(update, "--env", "MASTER__auth__browser_login__client_id=browser");
        AssertFlag(update, "--env", "MASTER__auth__browser_login__client_secret={{secret.master-browser-login-client-secret}}");
        Assert.DoesNotContain(update, a => a.StartsWith("MASTER__auth__upstream__", StringComparison.Ordinal) || a.StartsWith("MASTER__auth__signing_key", StringComparison.Ordinal));
    }

    public static TheoryData<string, string?> RefusedSettings() => new()
    {
        { "AUTH_MODE", "none" },
        { "AUTH_JWT_ISSUER", null },
        { "BASE_URL", "http://mcp.example.com" },
        { "BASE_URL", "https://mcp.example.com/mcp" },
        { "KOYEB_SECRET_ENV", "AzureWebJobsStorage=master-azurewebjobsstorage" },
    };

    [Theory]
    [MemberData(nameof(RefusedSettings))]
    public async Task SettingsThatWouldStopTheGateway_AreRefused_BeforeAnyCall(string name, string? value)
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { [name] = value });
        Assert.True(result.ExitCode == 64, result.Output);
        Assert.False(File.Exists(log));
    }

    [Fact]
    public async Task MissingBaseUrl_IsRefused_BeforeAnyCall()
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, true, true, new() { ["BASE_URL"] = null });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("BASE_URL is required", result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(log));
    }

    private static void AssertDesiredState(string[] call)
    {
        AssertFlag(call, "--docker", Image);
        AssertFlag(call, "--ports", "8080:http");
        AssertFlag(call, "--routes", "/:8080");
        AssertFlag(call, "--checks", "8080:http:/health");
        AssertFlag(call, "--min-scale", "1");
        AssertFlag(call, "--max-scale", "1");
        AssertFlag(call, "--autoscaling-concurrent-requests", "50");
        AssertFlag(call, "--instance-type", "small");
        AssertFlag(call, "--regions", "fra");
        AssertFlag(call, "--env", "PORT=8080");
        AssertFlag(call, "--env", "APP_VERSION=1.2.3");
        AssertFlag(call, "--env", "MASTER_LOG_LEVEL=debug");
        AssertFlag(call, "--env", "MASTER_BASE_URL=https://mcp.example.com");
        AssertFlag(call, "--env", "MASTER__auth__mode=jwt");
        AssertFlag(call, "--env", "MASTER__auth__jwt__issuer=https://login.example.com/tenant");
        AssertFlag(call, "--env", "TOKEN_ENC_KEY={{secret.master-token-enc-key}}");
        AssertFlag(call, "--env", "MASTER__security__origin_secret={{secret.master-origin-secret}}");
        AssertFlag(call, "--env", "AzureWebJobsStorage={{secret.master-azurewebjobsstorage}}");
        Assert.Contains("--wait", call);
        AssertSecretsAreReferences(call);
    }

    /// <summary>Every variable that carries a secret takes its value from a Koyeb secret, never inline.</summary>
    private static void AssertSecretsAreReferences(string[] call)
    {
        for (var i = 0; i < call.Length - 1; i++)
        {
            if (call[i] != "--env")
            {
                continue;
            }
            var name = call[i + 1].Split('=')[0];
            if (name is "TOKEN_ENC_KEY" or "AzureWebJobsStorage" || name.EndsWith("_secret", StringComparison.Ordinal) || name.EndsWith("signing_key", StringComparison.Ordinal))
            {
                Assert.Matches(@"^[A-Za-z_]+=\{\{secret\.[a-z0-9-]+\}\}$", call[i + 1]);
            }
        }
    }

    private static void AssertFlag(string[] call, string flag, string value)
    {
        for (var i = 0; i < call.Length - 1; i++)
        {
            if (call[i] == flag && call[i + 1] == value)
            {
                return;
            }
        }
        Assert.Fail($"Expected `{flag} {value}` in: koyeb {string.Join(' ', call)}");
    }

    private async Task<List<string[]>> RunAsync(bool appExists, bool serviceExists)
    {
        var log = Path.Combine(_bin.FullName, "calls.log");
        var result = await RunScriptAsync(log, appExists, serviceExists, new());
        Assert.True(result.ExitCode == 0, result.Output);
        return (await File.ReadAllLinesAsync(log)).Select(l => l.Split('\x1f')).ToList();
    }

    private Task<ProcessResult> RunScriptAsync(string log, bool appExists, bool serviceExists, Dictionary<string, string?> extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{_bin.FullName}:/usr/local/bin:/usr/bin:/bin",
            ["KOYEB_STUB_LOG"] = log,
            ["KOYEB_STUB_APP_EXISTS"] = appExists ? "1" : "0",
            ["KOYEB_STUB_SERVICE_EXISTS"] = serviceExists ? "1" : "0",
            ["KOYEB_APP"] = "master-mcp",
            ["KOYEB_SERVICE"] = "gateway",
            ["IMAGE"] = Image,
            ["APP_VERSION"] = "1.2.3",
            ["KOYEB_ENV"] = "MASTER_LOG_LEVEL=debug\n",
            ["BASE_URL"] = "https://mcp.example.com/",
            ["AUTH_JWT_ISSUER"] = "https://login.example.com/tenant",
            ["KOYEB_TOKEN"] = "test-token",
            ["KOYEB_API_URL"] = "https://koyeb-api.invalid",
            ["KOYEB_POLL_SECONDS"] = "0",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }
        return ProcessRunner.RunAsync(Repo.PathOf("deploy/koyeb/deploy.sh"), [], environment: environment, clearEnvironment: true);
    }

    public void Dispose() => _bin.Delete(recursive: true);
}
