using System.Collections;

namespace MasterMcp.Configuration;

/// <summary>Everything configuration is built from: command-line arguments, environment variables and the application's base directory.</summary>
public sealed record ConfigInputs(IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Environment, string BaseDirectory)
{
    /// <summary>The inputs of the running process.</summary>
    public static ConfigInputs FromProcess(string[] args)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = entry.Value as string ?? "";
        }
        return new ConfigInputs(args, env, AppContext.BaseDirectory);
    }

    /// <summary>An environment variable, or null when unset or empty.</summary>
    public string? Env(string name) => Environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
