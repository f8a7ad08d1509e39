using System.Text.Json;
using MasterMcp.Gateway;
using MasterMcp.Gateway.Search;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Search;

/// <summary>The tokenizer and the BM25 index on small hand-made lists.</summary>
public sealed class ToolIndexTests
{
    [Theory]
    [InlineData("github__create_pull_request", new[] { "github", "creat", "pull", "request" })]
    [InlineData("nextThoughtNeeded", new[] { "next", "thought", "need" })]
    [InlineData("Show me the files in my folders", new[] { "show", "fil", "folder" })]
    [InlineData("merging merged merge", new[] { "merg", "merg", "merg" })]
    [InlineData("running directories entries", new[] { "run", "directory", "entry" })]
    public void Terms_SplitOnSeparatorsAndCamelCase_DropStopWords_AndStem(string text, string[] expected) =>
        Assert.Equal(expected, SearchTokenizer.Terms(text));

    [Fact]
    public void Search_RanksByRelevance_UsesParameterNames_AndHonoursTheLimit()
    {
        var index = new ToolIndex([
            Tool("fs__read_file", "Read a file from disk.", """{"type":"object","properties":{"path":{"type":"string"}}}"""),
            Tool("fs__write_file", "Write a file to disk.", """{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}}}"""),
            Tool("chat__post", "Post a message.", """{"type":"object","properties":{"recipient_id":{"type":"string","description":"Who gets it."}}}"""),
        ]);

        Assert.Equal("fs__write_file", index.Search("write a file", 3)[0].Tool.PublicName);
        // Only the schema says "recipient": the parameter name counts.
        Assert.Equal("chat__post", Assert.Single(index.Search("recipient", 3)).Tool.PublicName);
        // A synonym from the thesaurus: "document" finds files.
        Assert.Equal(2, index.Search("document", 3).Count);
        Assert.Single(index.Search("file", 1));
        Assert.Empty(index.Search("the of and", 3));
        Assert.Empty(index.Search("kubernetes", 3));
    }

    [Fact]
    public void Search_EqualScores_AreOrderedByName_SoResultsAreDeterministic()
    {
        var index = new ToolIndex([Tool("b__echo", "Echo.", """{"type":"object"}"""), Tool("a__echo", "Echo.", """{"type":"object"}""")]);

        Assert.Equal(["a__echo", "b__echo"], index.Search("echo", 5).Select(m => m.Tool.PublicName));
    }

    private static CatalogTool Tool(string name, string description, string schema) =>
        new(name, name.Split("__")[0], name.Split("__")[1], new Tool { Name = name, Description = description, InputSchema = JsonDocument.Parse(schema).RootElement.Clone() });
}
