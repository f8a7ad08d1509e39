using System.Globalization;

namespace MasterMcp.Tests.Fixtures;

/// <summary>Reads the Linux process table from /proc: descendants of a process, liveness, and processes carrying a marker.</summary>
public static class ProcessTree
{
    /// <summary>Every live descendant of <paramref name="pid"/> (children, grandchildren, …).</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = AllProcesses().ToDictionary(p => p, ParentOf);
        var result = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.Count > 0)
        {
            var current = frontier.Dequeue();
            foreach (var (child, parent) in parents)
            {
                if (parent == current && IsAlive(child))
                {
                    result.Add(child);
                    frontier.Enqueue(child);
                }
            }
        }
        return result;
    }

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Live processes whose command line or environment contains <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> WithMarker(string marker) =>
        [.. AllProcesses().Where(pid => IsAlive(pid) && (Read($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal) || Read($"/proc/{pid}/environ").Contains(marker, StringComparison.Ordinal)))];

    private static IEnumerable<int> AllProcesses() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    private static int ParentOf(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        if (stat.Length == 0)
        {
            return -1;
        }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
