using Azure.Data.Tables;

namespace MasterMcp.Storage;

/// <summary>
/// How a value sits in a table entity: JSON in <c>Data</c>, or split over <c>Data0..DataN</c> (with <c>DataChunks</c>)
/// when longer than one string property may be (32K UTF-16 chars); <c>ExpiresAt</c>; the caller's keys in <c>Pk</c>/<c>Rk</c>.
/// </summary>
internal static class EntityLayout
{
    public const string Data = "Data";
    public const string DataChunks = "DataChunks";
    public const string ExpiresAt = "ExpiresAt";
    public const string Pk = "Pk";
    public const string Rk = "Rk";

    /// <summary>Chars per string property (the service allows 32K UTF-16 chars = 64 KiB).</summary>
    public const int MaxChunkChars = 32_000;

    /// <summary>14 chunks of 64 KiB plus two 64 KiB key copies stay under the 1 MiB entity limit.</summary>
    public const int MaxChunks = 14;

    /// <summary>Largest serialized value accepted.</summary>
    public const int MaxValueChars = (MaxChunkChars - 1) * MaxChunks;

    /// <summary>Longest caller key (it is stored verbatim in one string property).</summary>
    public const int MaxKeyChars = MaxChunkChars;

    public static void CheckKey(string key, string paramName)
    {
        ArgumentNullException.ThrowIfNull(key, paramName);
        if (key.Length > MaxKeyChars)
        {
            throw new ArgumentException($"Table keys are limited to {MaxKeyChars} characters; this one has {key.Length}.", paramName);
        }
    }

    public static void CheckValue(string json, string table)
    {
        if (json.Length > MaxValueChars)
        {
            throw new ArgumentException(
                $"The value for table '{table}' serializes to {json.Length} characters; at most {MaxValueChars} fit in one entity (1 MiB).",
                "value");
        }
    }

    public static TableEntity Create(string encodedPk, string encodedRk, string pk, string rk, string json, DateTimeOffset? expiresAt)
    {
        var entity = new TableEntity(encodedPk, encodedRk)
        {
            [Pk] = pk,
            [Rk] = rk,
        };
        if (expiresAt is { } expiry)
        {
            entity[ExpiresAt] = expiry.ToUniversalTime();
        }

        if (json.Length <= MaxChunkChars)
        {
            entity[Data] = json;
            return entity;
        }

        var chunk = 0;
        for (var at = 0; at < json.Length; chunk++)
        {
            var length = Math.Min(MaxChunkChars, json.Length - at);
            // Never split a surrogate pair: each property must be valid UTF-16 on its own.
            if (at + length < json.Length && char.IsHighSurrogate(json[at + length - 1]))
            {
                length--;
            }

            entity[Data + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture)] = json.Substring(at, length);
            at += length;
        }

        entity[DataChunks] = chunk;
        return entity;
    }

    public static string ReadData(TableEntity entity)
    {
        if (entity.GetInt32(DataChunks) is not { } chunks)
        {
            return entity.GetString(Data) ?? "null";
        }

        return string.Concat(Enumerable.Range(0, chunks)
            .Select(i => entity.GetString(Data + i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    public static string ReadKey(TableEntity entity, string property, string encoded)
    {
        if (entity.GetString(property) is { } stored)
        {
            return stored;
        }

        return TableKey.TryDecode(encoded, out var key) ? key : encoded;
    }
}
