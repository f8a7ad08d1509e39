using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Admin;
using MasterMcp.Hosting;
using MasterMcp.Tests.Fixtures;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Admin;

/// <summary>Development with auth.mode none: the admin console and API answer loopback callers only.</summary>
public sealed class AdminLoopbackTests
{
    [Fact]
    public async Task WithoutAuth_LoopbackIsServed_OtherAddressesGet403_AndBrowserPostsStillNeedTheCsrfToken()
    {
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = backend.McpUrl.ToString() }),
        });

        var (status, body) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Get, "backends", token: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("alpha", (string?)body!["backends"]![0]!["id"]);

        // A local tool (no Origin, no Referer) may change things.
        (status, _) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Post, "backends/alpha/disable", token: null);
        Assert.Equal(HttpStatusCode.OK, status);
        // A browser page of this gateway without the CSRF token may not.
        (status, body) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Post, "backends/alpha/enable", token: null, origin: gateway.BaseUrl.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("csrf_token_invalid", (string?)body!["error"]);

        // Another address (the gateway binds loopback in tests, so the request is built here) is refused.
        var access = gateway.Services.GetRequiredService<AdminAccess>();
        var remote = new DefaultHttpContext { RequestServices = gateway.Services };
        remote.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.10");
        var refused = await Assert.ThrowsAsync<GatewayHttpException>(() => access.IdentifyAsync(remote));
        Assert.Equal(403, refused.StatusCode);
        Assert.Equal("admin_loopback_only", refused.Code);
    }
}
