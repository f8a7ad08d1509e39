using System.Runtime.Versioning;

// Deploy tests run Linux tools (bash, shellcheck, Bicep, workerd) and set Unix file modes.
[assembly: SupportedOSPlatform("linux")]
