namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>What a user got from one recorded exchange, in terms common to every client path.</summary>
internal abstract record RecordedOutcome;

/// <summary>A chat answer, buffered or assembled from a stream.</summary>
internal sealed record ChatOutcome(string Text, string? FinishReason, IReadOnlyList<ToolCallOutcome> ToolCalls, UsageOutcome? Usage, string? Model) : RecordedOutcome
{
    public override string ToString() =>
        $"text \"{Text}\", finish {FinishReason}, model {Model}, usage {Usage}, tool calls [{string.Join("; ", ToolCalls)}]";
}

/// <summary>One tool call: its id, function name and the complete arguments.</summary>
internal sealed record ToolCallOutcome(string Id, string Name, string Arguments);

/// <summary>Token usage as reported.</summary>
internal sealed record UsageOutcome(long Prompt, long Completion, long Total);

/// <summary>Embedding vectors, in input order.</summary>
internal sealed record EmbeddingOutcome(IReadOnlyList<float[]> Vectors, UsageOutcome? Usage, string? Model) : RecordedOutcome
{
    public override string ToString() =>
        $"{Vectors.Count} vector(s) of {string.Join(", ", Vectors.Select(v => v.Length))} dimension(s), model {Model}, usage {Usage}";
}
