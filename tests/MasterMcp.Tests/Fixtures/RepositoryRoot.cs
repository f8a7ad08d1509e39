namespace MasterMcp.Tests.Fixtures;

/// <summary>Locates the repository (the folder holding MasterMcp.sln) from the test binaries.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The repository root directory.</summary>
    public static string Path => Root.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MasterMcp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No MasterMcp.sln found above {AppContext.BaseDirectory}.");
    }
}
