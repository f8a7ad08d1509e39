using MasterMcp.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace MasterMcp.Deploy.Tests;

/// <summary>
/// deploy/docker/docker-compose.yml, parsed (no Docker here; CI also runs `docker compose config`): every service is
/// limited, the gateway reaches Redis, Azurite and the backend by their service names, and ports stay on loopback.
/// </summary>
public sealed class ComposeFileTests
{
    private const string ComposePath = "deploy/docker/docker-compose.yml";

    // The Compose specification's service keys this file may use; a misspelt key fails here before `docker compose`.
    private static readonly HashSet<string> KnownServiceKeys =
    [
        "build", "command", "container_name", "depends_on", "deploy", "entrypoint", "env_file", "environment", "expose",
        "healthcheck", "image", "mem_limit", "platform", "ports", "restart", "user", "volumes", "working_dir",
    ];

    [Fact]
    public void Services_AreKnownKeys_WithImageOrBuild_AndDependOnServicesThatExist()
    {
        var root = Yaml.Load(ComposePath);
        Assert.Superset(new HashSet<string> { "name", "services" }, root.Keys().ToHashSet());
        Assert.Subset(new HashSet<string> { "name", "services", "volumes", "networks" }, root.Keys().ToHashSet());
        var services = root.Map("services");
        foreach (var (name, service) in Services(services))
        {
            Assert.Subset(KnownServiceKeys, service.Keys().ToHashSet());
            Assert.True(service.Get("image") is not null || service.Get("build") is not null, $"{name} has neither image nor build");
            if (service.Get("depends_on") is YamlMappingNode dependsOn)
            {
                foreach (var target in dependsOn.Keys())
                {
                    Assert.Contains(target, services.Keys());
                    Assert.Contains(dependsOn.Map(target).Scalar("condition"), new[] { "service_started", "service_healthy", "service_completed_successfully" });
                }
            }
        }
    }

    [Fact]
    public void EveryService_HasCpuAndMemoryLimits()
    {
        foreach (var (name, service) in Services(Yaml.Load(ComposePath).Map("services")))
        {
            var limits = service.Map("deploy").Map("resources").Map("limits");
            Assert.True(double.TryParse(limits.Scalar("cpus"), System.Globalization.CultureInfo.InvariantCulture, out var cpus) && cpus is > 0 and <= 2,
                $"{name}: deploy.resources.limits.cpus '{limits.Scalar("cpus")}'");
            Assert.Matches(@"^\d+[MG]$", limits.Scalar("memory") ?? "");
        }
        // The gateway's limit holds its measured busy peak (deploy/README.md, Container sizing: up to about 300 MiB).
        var gateway = Yaml.Load(ComposePath).Map("services").Map("gateway").Map("deploy").Map("resources").Map("limits");
        Assert.True(ToMiB(gateway.Scalar("memory")!) >= 512);
    }

    [Fact]
    public void Gateway_UsesTheRedisService_AsItsBackplane_OnceRedisIsHealthy()
    {
        var services = Yaml.Load(ComposePath).Map("services");
        var gateway = services.Map("gateway");
        var redisSetting = gateway.Map("environment").Scalar("MASTER_REDIS");
        Assert.False(string.IsNullOrEmpty(redisSetting), "the gateway's MASTER_REDIS is not set");
        var (host, port) = (redisSetting!.Split(',')[0].Split(':')[0], redisSetting.Split(',')[0].Split(':')[1]);

        var redis = services.Map(host);
        Assert.StartsWith("redis:7", redis.Scalar("image"), StringComparison.Ordinal);
        Assert.Contains(port, ((YamlSequenceNode)redis.Get("expose")!).Children.Select(c => ((YamlScalarNode)c).Value));
        Assert.Equal("service_healthy", gateway.Map("depends_on").Map(host).Scalar("condition"));
        var healthcheck = redis.Map("healthcheck");
        Assert.Contains("ping", ((YamlSequenceNode)healthcheck.Get("test")!).Children.Select(c => ((YamlScalarNode)c).Value));
        // Nothing the backplane holds must outlive the container.
        Assert.Contains("--save \"\" --appendonly no", redis.Scalar("command"), StringComparison.Ordinal);
    }

    [Fact]
    public void PublishedPorts_AreLoopbackOnly()
    {
        // Development runs without client authentication, which the gateway allows only on a loopback hosting.host.
        foreach (var (name, service) in Services(Yaml.Load(ComposePath).Map("services")))
        {
            if (service.Get("ports") is YamlSequenceNode ports)
            {
                foreach (var port in ports.Children.Select(p => ((YamlScalarNode)p).Value!))
                {
                    Assert.True(port.StartsWith("127.0.0.1:", StringComparison.Ordinal), $"{name} publishes {port} beyond loopback");
                }
            }
        }
    }

    private static IEnumerable<(string Name, YamlMappingNode Service)> Services(YamlMappingNode services) =>
        services.Keys().Select(k => (k, services.Map(k)));

    private static int ToMiB(string memory) =>
        memory.EndsWith('G') ? int.Parse(memory[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 : int.Parse(memory[..^1], System.Globalization.CultureInfo.InvariantCulture);
}
