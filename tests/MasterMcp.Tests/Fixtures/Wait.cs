namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// The one way tests wait for something that happens on its own (a reload, a process exit, a background write):
/// poll the condition until it holds, failing with <c>because</c> after a generous patience. The patience only bounds
/// a broken run; nothing is timed. Where the test controls the event, wait on a signal (a <see cref="TaskCompletionSource"/>)
/// instead. Also compiled into MasterMcp.Deploy.Tests (linked file).
/// </summary>
public static class Wait
{
    /// <summary>How long a condition may take before the test fails: long, because two shared cores can be very slow.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<bool> condition, string? because = null, TimeSpan? patience = null) =>
        Until(() => Task.FromResult(condition()), because, patience);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static async Task Until(Func<Task<bool>> condition, string? because = null, TimeSpan? patience = null) =>
        await For(condition, done => done, because, patience);

    /// <summary>Probes until <paramref name="done"/> accepts the value, and returns that value.</summary>
    /// <param name="probe">Reads the current value.</param>
    /// <param name="done">Whether the value is the one waited for.</param>
    /// <param name="because">What is waited for, for the failure message.</param>
    /// <param name="patience">How long before the test fails; <see cref="DefaultPatience"/> when null.</param>
    /// <param name="interval">Pause between probes (50 ms when null); longer for probes that are costly themselves.</param>
    public static async Task<T> For<T>(Func<Task<T>> probe, Func<T, bool> done, string? because = null, TimeSpan? patience = null, TimeSpan? interval = null)
    {
        var limit = patience ?? DefaultPatience;
        var deadline = TimeProvider.System.GetTimestamp() + (long)(limit.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail($"{because ?? "condition"} not met within {limit}; last value: {value}");
            }
            await Task.Delay(interval ?? Interval);
        }
    }
}
