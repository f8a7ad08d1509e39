namespace MasterMcp.Tests.Storage;

/// <summary>A value stored by the storage tests.</summary>
public sealed record TestDocument(string Name, int Count);
