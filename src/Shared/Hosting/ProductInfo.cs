using System.Reflection;

namespace MasterMcp.Hosting;

/// <summary>The product's name and version (APP_VERSION when set, else the assembly's informational version).</summary>
public static class ProductInfo
{
    public const string Name = "master-mcp-server";

    /// <summary>The version reported by /ready and MCP serverInfo.</summary>
    public static string Version { get; } =
        Environment.GetEnvironmentVariable("APP_VERSION") is { Length: > 0 } v
            ? v
            : (typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");
}
