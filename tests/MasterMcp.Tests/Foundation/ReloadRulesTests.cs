using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Credentials;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Foundation;

/// <summary>A reload must pass every rule startup does: in Production it can never switch authentication off.</summary>
public sealed class ReloadRulesTests
{
    private static JsonObject Config(JsonObject? auth, string origin) => new()
    {
        ["hosting"] = new JsonObject { ["base_url"] = "https://gateway.example" },
        ["security"] = new JsonObject { ["allowed_origins"] = new JsonArray(origin) },
        ["auth"] = auth,
        ["servers"] = new JsonArray(),
    };

    private static JsonObject Jwt() => new() { ["mode"] = "jwt", ["jwt"] = new JsonObject { ["issuer"] = "https://idp.example" } };

    [Fact]
    public async Task Production_ReloadThatTurnsAuthOff_IsRefused_McpStays401_AndAValidReloadClearsTheRefusal()
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayInstance.StartAsync(Config(Jwt(), "https://one.example"),
            environment: new Dictionary<string, string> { ["MASTER_ENV"] = "Production", ["TOKEN_ENC_KEY"] = TokenKeyRing.NewKey() },
            configureServices: services => services.AddSingleton<ILoggerProvider>(logs));
        var monitor = gateway.Services.GetRequiredService<GatewayConfigMonitor>();
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };
        Assert.Equal(HttpStatusCode.Unauthorized, await AnonymousMcpAsync());

        // The auth section removed: refused whole (the new origin does not apply either), and anyone still gets 401.
        var withoutAuth = Config(null, "https://two.example");
        withoutAuth.Remove("auth");
        await gateway.WriteConfigAsync(withoutAuth);
        await ReadyShowsAsync("last reload rejected");
        Assert.Equal(HttpStatusCode.Unauthorized, await AnonymousMcpAsync());
        Assert.Contains("auth.mode: is missing", monitor.LastReloadError, StringComparison.Ordinal);
        Assert.Equal(["https://one.example"], monitor.CurrentValue.Security.AllowedOrigins);
        Assert.Contains("Configuration reload rejected", logs.Text, StringComparison.Ordinal);

        // A valid edit is applied and clears the refusal.
        await gateway.WriteConfigAsync(Config(Jwt(), "https://three.example"));
        await ReadyShowsAsync(null);
        Assert.Equal(["https://three.example"], monitor.CurrentValue.Security.AllowedOrigins);

        // auth.mode none in Production: refused the same way.
        await gateway.WriteConfigAsync(Config(new JsonObject { ["mode"] = "none" }, "https://four.example"));
        await ReadyShowsAsync("last reload rejected");
        Assert.Equal(HttpStatusCode.Unauthorized, await AnonymousMcpAsync());
        Assert.Contains("'none' turns authentication off", monitor.LastReloadError, StringComparison.Ordinal);
        Assert.Equal(["https://three.example"], monitor.CurrentValue.Security.AllowedOrigins);

        await gateway.WriteConfigAsync(Config(Jwt(), "https://five.example"));
        await ReadyShowsAsync(null);
        Assert.Equal(["https://five.example"], monitor.CurrentValue.Security.AllowedOrigins);
        Assert.Equal(HttpStatusCode.Unauthorized, await AnonymousMcpAsync());

        async Task<HttpStatusCode> AnonymousMcpAsync()
        {
            using var request = AuthTestKit.InitializeRequest(gateway.BaseUrl, token: null);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        // /ready is what an operator sees: wait until it reports the refusal (or no longer does).
        Task ReadyShowsAsync(string? status) => Wait.For(async () =>
        {
            using var ready = await http.GetAsync(new Uri("/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            return await ready.Content.ReadAsStringAsync();
        }, body => status is null ? !body.Contains("rejected", StringComparison.Ordinal) : body.Contains(status, StringComparison.Ordinal));
    }
}
