using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Auth;

/// <summary>
/// What the gateway-mode tests run against: an identity provider (oidc-provider), one sample backend, and the gateway
/// federating to the provider on Table Storage. Disposing it stops all three.
/// </summary>
public sealed class GatewayModeBed : IAsyncDisposable
{
    private GatewayModeBed(OidcProviderProcess idp, TestServerProcess backend, string signingKey)
    {
        Idp = idp;
        Backend = backend;
        SigningKey = signingKey;
    }

    public OidcProviderProcess Idp { get; }

    public TestServerProcess Backend { get; }

    /// <summary>The <c>file:</c> reference of the gateway's signing key.</summary>
    public string SigningKey { get; }

    public GatewayInstance Gateway { get; private set; } = null!;

    /// <summary>
    /// Starts the three; <paramref name="configure"/> may change the gateway configuration (<see cref="AuthTestKit.GatewayConfig"/>) first,
    /// <paramref name="configureServices"/> runs after the gateway's registrations.
    /// </summary>
    public static async Task<GatewayModeBed> StartAsync(string storageConnectionString, Action<JsonObject>? configure = null, Action<IServiceCollection>? configureServices = null)
    {
        var idp = await OidcProviderProcess.StartAsync();
        TestServerProcess? backend = null;
        try
        {
            backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
            var bed = new GatewayModeBed(idp, backend, AuthTestKit.NewSigningKeyReference());
            var port = AuthTestKit.FreePort();
            var config = AuthTestKit.GatewayConfig(port, idp.Issuer, backend.McpUrl, bed.SigningKey);
            configure?.Invoke(config);
            bed.Gateway = await GatewayInstance.StartAsync(config, storageConnectionString, port: port, configureServices: configureServices);
            return bed;
        }
        catch
        {
            if (backend is not null)
            {
                await backend.DisposeAsync();
            }
            await idp.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
        await Idp.DisposeAsync();
    }
}
