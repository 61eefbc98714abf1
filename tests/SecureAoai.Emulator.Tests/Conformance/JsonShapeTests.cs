using System.Text.Json;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>The shape comparer the conformance tests rest on finds each kind of difference, and only those.</summary>
public sealed class JsonShapeTests
{
    private static IReadOnlyList<string> Differences(string expected, string actual, JsonShape? shape = null)
    {
        using JsonDocument e = JsonDocument.Parse(expected);
        using JsonDocument a = JsonDocument.Parse(actual);
        return (shape ?? new JsonShape()).Differences(e.RootElement, a.RootElement);
    }

    [Fact]
    public void Differences_SameKeysAndKindsDifferentValues_None()
    {
        Assert.Empty(Differences("""{"id":"a","n":3,"ok":true,"list":[{"x":1}]}""", """{"id":"b","n":7,"ok":false,"list":[{"x":2},{"x":3}]}"""));
    }

    [Theory]
    [InlineData("""{"a":1,"b":2}""", """{"a":1}""", "$.b: recorded, missing")]
    [InlineData("""{"a":1}""", """{"a":1,"b":2}""", "$.b: not in the recording")]
    [InlineData("""{"a":"x"}""", """{"a":1}""", "$.a: recorded String")]
    [InlineData("""{"id":""}""", """{"id":"chatcmpl-1"}""", "$.id: recorded EmptyString")]
    [InlineData("""{"created":0}""", """{"created":17}""", "$.created: recorded Zero")]
    [InlineData("""{"choices":[]}""", """{"choices":[{"index":0}]}""", "$.choices: recorded EmptyArray")]
    [InlineData("""{"c":[{"d":{"x":1}}]}""", """{"c":[{"d":{"y":1}}]}""", "$.c[].d.x: recorded, missing")]
    [InlineData("""{"object":"chat.completion"}""", """{"object":"chat.completion.chunk"}""", "$.object: recorded \"chat.completion\"")]
    [InlineData("""{"logprobs":null}""", """{"logprobs":{"content":[]}}""", "$.logprobs: recorded Null")]
    public void Differences_EachKind_NamesThePath(string expected, string actual, string difference)
    {
        Assert.Contains(Differences(expected, actual), d => d.StartsWith(difference, StringComparison.Ordinal));
    }

    [Fact]
    public void Differences_UnderAnAllowance_Ignored()
    {
        var shape = new JsonShape().Allow("$.choices[].logprobs", "not produced");

        Assert.Empty(Differences("""{"choices":[{"logprobs":{"content":[1]}}]}""", """{"choices":[{"logprobs":null}]}""", shape));
        Assert.NotEmpty(Differences("""{"choices":[{"logprobs":null,"index":0}]}""", """{"choices":[{"logprobs":null}]}""", shape));
    }

    [Fact]
    public void EventOrder_RunsCollapsed_LabelsByRole()
    {
        JsonElement? Event(string json) => JsonDocument.Parse(json).RootElement.Clone();

        IReadOnlyList<string> order = EventStreamShape.Order(
        [
            Event("""{"choices":[],"prompt_filter_results":[]}"""),
            Event("""{"choices":[{"delta":{"role":"assistant","content":""},"finish_reason":null}]}"""),
            Event("""{"choices":[{"delta":{"content":"a"},"finish_reason":null}]}"""),
            Event("""{"choices":[{"delta":{"content":"b"},"finish_reason":null}]}"""),
            Event("""{"choices":[{"delta":{},"finish_reason":"stop"}]}"""),
            Event("""{"choices":[],"usage":{"total_tokens":1}}"""),
            null,
        ]);

        Assert.Equal(["prompt-filter", "role", "content", "finish", "usage", "[DONE]"], order);
    }
}
