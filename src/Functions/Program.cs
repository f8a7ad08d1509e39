using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Observability;
using MasterMcp.Secrets;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// One entry point, two hosts: the isolated worker when the Functions host started us, Kestrel otherwise.
var inputs = ConfigInputs.FromProcess(args);
if (HealthCheckCommand.IsRequested(args))
{
    return await HealthCheckCommand.RunAsync(inputs, Console.Out);
}

GatewayStartup startup;
try
{
    startup = await GatewayStartup.PrepareAsync(inputs, options => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(options)));
}
catch (ConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

if (args.Contains("--rotate-token-key"))
{
    // Re-encrypts every stored token under the current key of TOKEN_ENC_KEY; afterwards older keys can be removed.
    var rotation = GatewayApplication.BuildKestrel(startup);
    var rotated = await rotation.Services.GetRequiredService<MasterMcp.Credentials.TokenVault>().RotateAsync();
    await Console.Out.WriteLineAsync($"Re-encrypted {rotated} token row(s) under key '{startup.TokenKeys.CurrentKeyId}'.");
    return 0;
}

if (FunctionsHostDetector.IsFunctionsHost(inputs))
{
    // Under the Functions host the port belongs to the host: hosting.port is not bound here.
    var builder = FunctionsApplication.CreateBuilder(args);
    builder.ConfigureFunctionsWebApplication();
    GatewayLogging.ConfigureFunctionsWorker(builder.Logging, startup.Config.Options.Logging);
    builder.Services.AddMasterMcpGateway(startup);
    // One OpenTelemetry path on both hosts (AddGatewayTelemetry); here the worker adds its Functions resource and avoids
    // duplicating what the host reports (host.json telemetryMode: OpenTelemetry), so host and worker spans correlate.
    Microsoft.Azure.Functions.Worker.OpenTelemetry.ConfigureFunctionsOpenTelemetry.UseFunctionsWorkerDefaults(builder.Services.AddOpenTelemetry());
    await builder.Build().RunAsync();
    return 0;
}

var app = GatewayApplication.BuildKestrel(startup);
await app.RunAsync();
return 0;
