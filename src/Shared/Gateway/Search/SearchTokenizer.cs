namespace MasterMcp.Gateway.Search;

/// <summary>
/// Turns tool text and queries into search terms: split on anything but letters and digits and on camelCase boundaries,
/// lowercase, drop English stop words, fold inflections with a light suffix stemmer. Deterministic and culture-invariant.
/// </summary>
public static class SearchTokenizer
{
    // Lucene's English stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET) plus personal pronouns and question words,
    // which users put in requests ("show me my …", "which …") and tool texts never distinguish by.
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
        "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
        "i", "me", "my", "you", "your", "we", "our", "us", "its", "what", "which", "who", "how", "when", "where", "can", "do",
        "does", "please", "some", "so", "from",
    };

    /// <summary>The search terms of <paramref name="text"/>, in order, repeats kept (they count as term frequency).</summary>
    public static List<string> Terms(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return terms;
        }
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : ' ';
            var isWordChar = char.IsLetterOrDigit(c);
            // camelCase: a capital after a lowercase letter or digit starts a new word ("nextThoughtNeeded").
            var boundary = isWordChar && start >= 0 && char.IsUpper(c) && (char.IsLower(text[i - 1]) || char.IsDigit(text[i - 1]));
            if (start >= 0 && (!isWordChar || boundary))
            {
                Add(terms, text[start..i]);
                start = -1;
            }
            if (isWordChar && start < 0)
            {
                start = i;
            }
        }
        return terms;
    }

    private static void Add(List<string> terms, string word)
    {
        var lower = word.ToLowerInvariant();
        if (!StopWords.Contains(lower))
        {
            terms.Add(Stem(lower));
        }
    }

    /// <summary>
    /// A light stemmer (plural, -ing, -ed, final -e; in the spirit of Porter's step 1) so that "files"/"file",
    /// "merging"/"merge" and "created"/"create" meet. Words of three letters or fewer are left alone.
    /// </summary>
    public static string Stem(string word)
    {
        if (word.Length <= 3 || !char.IsAsciiLetter(word[^1]))
        {
            return word;
        }
        var w = word;
        if (w.EndsWith("ies", StringComparison.Ordinal) && w.Length > 4)
        {
            w = w[..^3] + "y";
        }
        else if (w.EndsWith("sses", StringComparison.Ordinal) || w.EndsWith("xes", StringComparison.Ordinal) || w.EndsWith("ches", StringComparison.Ordinal) || w.EndsWith("shes", StringComparison.Ordinal))
        {
            w = w[..^2];
        }
        else if (w[^1] == 's' && w[^2] is not ('s' or 'u' or 'i'))
        {
            w = w[..^1];
        }
        if (w.EndsWith("ing", StringComparison.Ordinal) && HasVowel(w.AsSpan(0, w.Length - 3)) && w.Length - 3 >= 3)
        {
            w = UndoubleConsonant(w[..^3]);
        }
        else if (w.EndsWith("ed", StringComparison.Ordinal) && HasVowel(w.AsSpan(0, w.Length - 2)) && w.Length - 2 >= 3)
        {
            w = UndoubleConsonant(w[..^2]);
        }
        if (w.Length > 3 && w[^1] == 'e')
        {
            w = w[..^1];
        }
        return w;
    }

    private static bool HasVowel(ReadOnlySpan<char> s) => s.IndexOfAny("aeiouy") >= 0;

    // "running" → "runn" → "run"; but "falling", "passing", "buzzing" keep their l, s, z as Porter does.
    private static string UndoubleConsonant(string w) =>
        w.Length >= 2 && w[^1] == w[^2] && w[^1] is not ('l' or 's' or 'z') && !HasVowel([w[^1]]) ? w[..^1] : w;
}
