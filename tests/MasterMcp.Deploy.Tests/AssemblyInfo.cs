using System.Runtime.Versioning;

// Deploy tests run Linux tools (bash, shellcheck, Bicep, workerd) and set Unix file modes.
[assembly: SupportedOSPlatform("linux")]

// One class at a time: the Worker tests assert that SSE events arrive within 200 ms of being sent.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
