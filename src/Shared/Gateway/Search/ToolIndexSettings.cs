namespace MasterMcp.Gateway.Search;

/// <summary>The ranking's constants: BM25's k1 and b, field weights, and what a synonym match counts.</summary>
public sealed record ToolIndexSettings
{
    /// <summary>
    /// The settings the gateway uses: the best of a 256-point grid (k1, b, name weight, synonym weight) scored on the
    /// corpus's dev queries only; BM25's textbook k1 = 1.2, b = 0.75 with names ×3 and synonyms ×0.6 ranked less well.
    /// </summary>
    public static ToolIndexSettings Default { get; } = new();

    /// <summary>Term-frequency saturation.</summary>
    public double K1 { get; init; } = 2.0;

    /// <summary>Length normalisation (0: none, 1: full).</summary>
    public double B { get; init; } = 0.9;

    /// <summary>How often a term of the public name counts.</summary>
    public double NameWeight { get; init; } = 1;

    /// <summary>How often a term of the title counts.</summary>
    public double TitleWeight { get; init; } = 2;

    /// <summary>How often a term of the description counts (schema property names, descriptions and enum values count 1).</summary>
    public double DescriptionWeight { get; init; } = 1;

    /// <summary>What a match through the thesaurus counts against a literal match.</summary>
    public double SynonymWeight { get; init; } = 1;
}
