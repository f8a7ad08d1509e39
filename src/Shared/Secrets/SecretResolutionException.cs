namespace MasterMcp.Secrets;

/// <summary>A secret reference in a setting could not be resolved; the message names the setting and the reference, never a value.</summary>
public sealed class SecretResolutionException : Exception
{
    /// <summary>Creates the exception with a message that must not contain any secret value.</summary>
    public SecretResolutionException(string settingPath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        SettingPath = settingPath;
    }

    /// <summary>The setting (JSON path) whose value could not be resolved, e.g. <c>servers[0].headers.Authorization</c>.</summary>
    public string SettingPath { get; }

    internal static SecretResolutionException Unresolved(string settingPath, string reason, Exception? innerException = null) =>
        new(settingPath, $"secret for '{settingPath}' could not be resolved: {reason}", innerException);
}
