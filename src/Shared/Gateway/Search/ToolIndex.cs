using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway.Search;

/// <summary>
/// A BM25 index over one list of tools (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and
/// Beyond", 2009). Each tool is one document whose fields count with a weight (BM25F-style): its public name ×3, its
/// title ×2, its description ×1, and the names, descriptions and enum values of its input schema's properties ×1.
/// Deterministic: equal scores are ordered by public name.
/// </summary>
public sealed class ToolIndex
{
    private const int MaxSchemaDepth = 4;

    private readonly ToolIndexSettings _settings;
    private readonly IReadOnlyList<CatalogTool> _tools;
    private readonly Dictionary<string, double>[] _frequencies;
    private readonly double[] _lengths;
    private readonly Dictionary<string, double> _idf = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    /// <summary>Indexes <paramref name="tools"/> (the list a session may see).</summary>
    public ToolIndex(IReadOnlyList<CatalogTool> tools, ToolIndexSettings? settings = null)
    {
        _settings = settings ?? ToolIndexSettings.Default;
        _tools = tools;
        _frequencies = new Dictionary<string, double>[tools.Count];
        _lengths = new double[tools.Count];
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tools.Count; i++)
        {
            var terms = new Dictionary<string, double>(StringComparer.Ordinal);
            var tool = tools[i].Tool;
            AddField(terms, tools[i].PublicName, _settings.NameWeight, ref _lengths[i]);
            AddField(terms, tool.Title ?? tool.Annotations?.Title, _settings.TitleWeight, ref _lengths[i]);
            AddField(terms, tool.Description, _settings.DescriptionWeight, ref _lengths[i]);
            AddSchema(terms, tool.InputSchema, 0, ref _lengths[i]);
            _frequencies[i] = terms;
            foreach (var term in terms.Keys)
            {
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            }
        }
        _averageLength = tools.Count == 0 ? 1 : Math.Max(1, _lengths.Average());
        foreach (var (term, df) in documentFrequency)
        {
            // The "+1" form of the IDF never goes negative for terms in more than half the documents.
            _idf[term] = Math.Log(1 + ((tools.Count - df + 0.5) / (df + 0.5)));
        }
    }

    /// <summary>The number of indexed tools.</summary>
    public int Count => _tools.Count;

    /// <summary>Up to <paramref name="limit"/> tools with a positive score for <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<ToolMatch> Search(string query, int limit)
    {
        var units = QueryUnits(SearchTokenizer.Terms(query));
        if (units.Count == 0 || limit <= 0)
        {
            return [];
        }
        var matches = new List<ToolMatch>();
        for (var i = 0; i < _tools.Count; i++)
        {
            var norm = _settings.K1 * (1 - _settings.B + (_settings.B * _lengths[i] / _averageLength));
            var score = 0.0;
            foreach (var (literal, alternatives) in units)
            {
                // A word counts once: literally, or through its best synonym at a discount, whichever scores more.
                var best = Score(i, literal, norm);
                foreach (var alternative in alternatives)
                {
                    best = Math.Max(best, _settings.SynonymWeight * Score(i, alternative, norm));
                }
                score += best;
            }
            if (score > 0)
            {
                matches.Add(new ToolMatch(_tools[i], score));
            }
        }
        matches.Sort((x, y) => y.Score != x.Score ? y.Score.CompareTo(x.Score) : string.CompareOrdinal(x.Tool.PublicName, y.Tool.PublicName));
        return matches.Count > limit ? matches.GetRange(0, limit) : matches;
    }

    private double Score(int document, string[] terms, double norm)
    {
        var score = 0.0;
        foreach (var term in terms)
        {
            if (_frequencies[document].TryGetValue(term, out var tf))
            {
                score += _idf[term] * tf * (_settings.K1 + 1) / (tf + norm);
            }
        }
        return score;
    }

    /// <summary>The query's words, a two-word phrase the thesaurus knows ("look up", "pull request") taken as one, repeats dropped.</summary>
    private static List<(string[] Literal, IReadOnlyList<string[]> Alternatives)> QueryUnits(List<string> terms)
    {
        var units = new List<(string[], IReadOnlyList<string[]>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < terms.Count; i++)
        {
            if (i + 1 < terms.Count && SearchThesaurus.Alternatives(terms[i] + " " + terms[i + 1]) is { } phrase)
            {
                if (seen.Add(terms[i] + " " + terms[i + 1]))
                {
                    units.Add(([terms[i], terms[i + 1]], phrase));
                }
                i++;
                continue;
            }
            if (seen.Add(terms[i]))
            {
                units.Add(([terms[i]], SearchThesaurus.Alternatives(terms[i]) ?? []));
            }
        }
        return units;
    }

    private static void AddField(Dictionary<string, double> terms, string? text, double weight, ref double length)
    {
        foreach (var term in SearchTokenizer.Terms(text))
        {
            terms[term] = terms.GetValueOrDefault(term) + weight;
            length += weight;
        }
    }

    private static void AddSchema(Dictionary<string, double> terms, JsonElement schema, int depth, ref double length)
    {
        if (depth > MaxSchemaDepth || schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                AddField(terms, property.Name, 1, ref length);
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                if (property.Value.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
                {
                    AddField(terms, description.GetString(), 1, ref length);
                }
                if (property.Value.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
                {
                    foreach (var value in values.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String))
                    {
                        AddField(terms, value.GetString(), 1, ref length);
                    }
                }
                AddSchema(terms, property.Value, depth + 1, ref length);
            }
        }
        if (schema.TryGetProperty("items", out var items))
        {
            AddSchema(terms, items, depth + 1, ref length);
        }
    }
}
