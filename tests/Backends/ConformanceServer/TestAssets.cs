namespace ConformanceServer;

/// <summary>Fixed payloads the conformance scenarios expect (tiny but valid media).</summary>
internal static class TestAssets
{
    /// <summary>A 1x1 red PNG.</summary>
    public const string PngBase64 =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    /// <summary>A WAV header with one silent 16-bit mono sample at 8 kHz.</summary>
    public const string WavBase64 =
        "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==";

    public static byte[] PngBytes => Convert.FromBase64String(PngBase64);

    public static byte[] WavBytes => Convert.FromBase64String(WavBase64);
}
