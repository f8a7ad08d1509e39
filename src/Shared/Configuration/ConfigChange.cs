namespace MasterMcp.Configuration;

/// <summary>What a listener receives when a reload was applied: the snapshot that was in force and the one that now is.</summary>
public sealed record ConfigChange(ConfigSnapshot Previous, ConfigSnapshot Current);
