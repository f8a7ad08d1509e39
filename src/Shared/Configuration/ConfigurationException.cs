namespace MasterMcp.Configuration;

/// <summary>The configuration could not be loaded or is invalid. Each error names its source, JSON path and problem.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    /// <summary>Every problem found, one line each.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
