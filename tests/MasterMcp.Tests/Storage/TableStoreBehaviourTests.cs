using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MasterMcp.Storage;
using Microsoft.Extensions.Time.Testing;

namespace MasterMcp.Tests.Storage;

/// <summary>Behaviour every <see cref="ITableStore"/> must show; run against Azurite and against the in-memory store.</summary>
public abstract class TableStoreBehaviourTests
{
    protected static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] AwkwardKeys =
    [
        "https://login.example.com/tenant/v2.0?x=1#frag",
        "a/b\\c#d?e",
        new string('k', 2000),
        new string('/', 300),
        new string('/', 301),
        "ünïcødé — 日本語 🔑",
        "h_looks-like-a-hash",
        "100%",
        "%2F",
        "tab\tnew\nline\u007f",
        "plain",
    ];

    private ITableStore? _table;

    protected FakeTimeProvider Time { get; } = new(Start);

    protected abstract IStoreFactory Factory { get; }

    protected ITableStore Table => _table ??= Factory.GetTable("items");

    private static JsonTypeInfo<TestDocument> Doc => StorageTestJsonContext.Default.TestDocument;

    private static JsonTypeInfo<string> Text => StorageTestJsonContext.Default.String;

    [Fact]
    public async Task Upsert_ThenGet_ReturnsValueKeysETagAndExpiry()
    {
        var expiresAt = Start.AddHours(1);
        var written = await Table.UpsertAsync("p", "r", new TestDocument("one", 1), Doc, expiresAt);

        var read = await Table.GetAsync("p", "r", Doc);

        Assert.NotNull(read);
        Assert.Equal(new TestDocument("one", 1), read.Value);
        Assert.Equal(("p", "r"), (read.PartitionKey, read.RowKey));
        Assert.False(string.IsNullOrEmpty(read.ETag));
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(expiresAt, read.ExpiresAt);
    }

    [Fact]
    public async Task Get_MissingRow_ReturnsNull()
    {
        Assert.Null(await Table.GetAsync("p", "nothing", Doc));
    }

    [Fact]
    public async Task Add_Twice_ThrowsConflict_AndKeepsFirstValue()
    {
        await Table.AddAsync("p", "r", new TestDocument("first", 1), Doc);

        var conflict = await Assert.ThrowsAsync<StoreConflictException>(() => Table.AddAsync("p", "r", new TestDocument("second", 2), Doc));

        Assert.Equal(("p", "r"), (conflict.PartitionKey, conflict.RowKey));
        Assert.Equal("first", (await Table.GetAsync("p", "r", Doc))!.Value.Name);
    }

    [Fact]
    public async Task Add_OverExpiredRow_Succeeds()
    {
        await Table.AddAsync("p", "r", new TestDocument("old", 1), Doc, Start.AddMinutes(1));
        Time.Advance(TimeSpan.FromMinutes(2));

        await Table.AddAsync("p", "r", new TestDocument("new", 2), Doc);

        Assert.Equal("new", (await Table.GetAsync("p", "r", Doc))!.Value.Name);
    }

    [Fact]
    public async Task Update_WithStaleETag_IsRefused_AndStoredValueUnchanged()
    {
        var first = await Table.AddAsync("p", "r", new TestDocument("v1", 1), Doc);
        var second = await Table.UpdateAsync("p", "r", new TestDocument("v2", 2), first.ETag, Doc);

        await Assert.ThrowsAsync<StoreConflictException>(() => Table.UpdateAsync("p", "r", new TestDocument("v3", 3), first.ETag, Doc));

        var read = await Table.GetAsync("p", "r", Doc);
        Assert.Equal(new TestDocument("v2", 2), read!.Value);
        Assert.Equal(second.ETag, read.ETag);
        Assert.NotEqual(first.ETag, second.ETag);
    }

    [Fact]
    public async Task Update_MissingRow_ThrowsConflict()
    {
        var gone = await Table.AddAsync("p", "r", new TestDocument("v1", 1), Doc);
        Assert.True(await Table.DeleteAsync("p", "r"));

        await Assert.ThrowsAsync<StoreConflictException>(() => Table.UpdateAsync("p", "r", new TestDocument("v2", 2), gone.ETag, Doc));
    }

    [Fact]
    public async Task Delete_ReturnsFalseWhenMissing_AndRefusesStaleETag()
    {
        var first = await Table.AddAsync("p", "r", new TestDocument("v1", 1), Doc);
        await Table.UpsertAsync("p", "r", new TestDocument("v2", 2), Doc);

        await Assert.ThrowsAsync<StoreConflictException>(() => Table.DeleteAsync("p", "r", first.ETag));
        Assert.True(await Table.DeleteAsync("p", "r"));
        Assert.False(await Table.DeleteAsync("p", "r"));
    }

    [Fact]
    public async Task AwkwardKeys_RoundTripThroughGetAndQueryPartition()
    {
        foreach (var key in AwkwardKeys)
        {
            await Table.UpsertAsync("awkward/partition#1", key, key, Text);
            await Table.UpsertAsync(key, "row", key, Text);
        }

        foreach (var key in AwkwardKeys)
        {
            var asRow = await Table.GetAsync("awkward/partition#1", key, Text);
            Assert.Equal((key, key), (asRow!.RowKey, asRow.Value));
            var asPartition = await Table.GetAsync(key, "row", Text);
            Assert.Equal((key, key), (asPartition!.PartitionKey, asPartition.Value));

            var partition = await ToListAsync(Table.QueryPartitionAsync(key, Text));
            var only = Assert.Single(partition);
            Assert.Equal((key, "row", key), (only.PartitionKey, only.RowKey, only.Value));
        }

        var rows = await ToListAsync(Table.QueryPartitionAsync("awkward/partition#1", Text));
        Assert.Equal(AwkwardKeys.Order(StringComparer.Ordinal), rows.Select(r => r.RowKey).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(r.RowKey, r.Value));
    }

    [Fact]
    public async Task ExpiredRows_AreInvisible_AndDeleteExpiredRemovesExactlyThem()
    {
        for (var i = 0; i < 3; i++)
        {
            await Table.UpsertAsync("p", $"short{i}", new TestDocument("short", i), Doc, Start.AddMinutes(1));
        }

        await Table.UpsertAsync("other", "short", new TestDocument("short", 9), Doc, Start.AddMinutes(1));
        await Table.UpsertAsync("p", "long", new TestDocument("long", 0), Doc, Start.AddHours(1));
        await Table.UpsertAsync("p", "forever", new TestDocument("forever", 0), Doc);
        Assert.Equal(5, (await ToListAsync(Table.QueryPartitionAsync("p", Doc))).Count);

        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await Table.GetAsync("p", "short0", Doc));
        Assert.NotNull(await Table.GetAsync("p", "long", Doc));
        Assert.Equal(["forever", "long"], (await ToListAsync(Table.QueryPartitionAsync("p", Doc))).Select(e => e.RowKey).Order());

        Assert.Equal(4, await Table.DeleteExpiredAsync(Time.GetUtcNow()));
        Assert.Equal(0, await Table.DeleteExpiredAsync(Time.GetUtcNow()));
        Assert.Equal(["forever", "long"], (await ToListAsync(Table.QueryPartitionAsync("p", Doc))).Select(e => e.RowKey).Order());
    }

    [Fact]
    public async Task DeleteExpired_RemovesMoreRowsThanOnePage()
    {
        const int rows = 230;
        for (var i = 0; i < rows; i++)
        {
            await Table.UpsertAsync($"p{i % 3}", $"r{i}", new TestDocument("x", i), Doc, Start.AddSeconds(-i - 1));
        }

        await Table.UpsertAsync("p0", "live", new TestDocument("live", 0), Doc, Start.AddDays(1));

        Assert.Equal(rows, await Table.DeleteExpiredAsync(Start));
        Assert.Equal("live", Assert.Single(await ToListAsync(Table.QueryPartitionAsync("p0", Doc))).RowKey);
    }

    [Fact]
    public async Task LargeValue_RoundTrips_AcrossSeveralProperties()
    {
        var value = string.Concat(Enumerable.Repeat("🔑 ünï \"quoted\" ", 6_000));
        Assert.InRange(JsonSerializer.Serialize(value, Text).Length, 3 * 32_000, 300_000);

        await Table.UpsertAsync("p", "big", value, Text);

        Assert.Equal(value, (await Table.GetAsync("p", "big", Text))!.Value);
        Assert.Equal(value, Assert.Single(await ToListAsync(Table.QueryPartitionAsync("p", Text))).Value);
    }

    [Fact]
    public async Task TooLargeValue_IsRefusedWithArgumentException()
    {
        var value = new string('x', 500_000);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Table.UpsertAsync("p", "huge", value, Text));

        Assert.Contains("1 MiB", error.Message, StringComparison.Ordinal);
    }

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
