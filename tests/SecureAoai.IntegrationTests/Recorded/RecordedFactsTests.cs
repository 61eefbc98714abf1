using System.Text.Json;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// What a user reads from particular recordings, stated plainly, for every client path: the
/// generic replay compares everything with the recorded JSON; these pin the facts that matter most.
/// </summary>
public sealed class RecordedFactsTests
{
    public static TheoryData<string> Paths() => [.. RecordedClientPaths.All.Keys];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task StreamedToolCall_NameIdAndArgumentsAssembledFromDeltas(string clientPath)
    {
        IRecordedClientPath path = RecordedClientPaths.All[clientPath];
        await using RecordedRig rig = await RecordedRig.StartAsync("SimpleToolWorksStreaming(Auto).json", path);

        var toolTurn = Assert.IsType<ChatOutcome>(await path.SendAsync(rig.Services, rig.Recording.Entries[0], CancellationToken.None));
        var answer = Assert.IsType<ChatOutcome>(await path.SendAsync(rig.Services, rig.Recording.Entries[1], CancellationToken.None));

        Assert.Equal("tool_calls", toolTurn.FinishReason);
        ToolCallOutcome call = Assert.Single(toolTurn.ToolCalls);
        Assert.Equal("get_future_temperature", call.Name);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        using JsonDocument arguments = JsonDocument.Parse(call.Arguments);
        Assert.Equal("Honolulu", arguments.RootElement.GetProperty("locationName").GetString());
        Assert.Equal("2023-11-09", arguments.RootElement.GetProperty("date").GetString());
        Assert.Equal("stop", answer.FinishReason);
        Assert.Contains("Honolulu", answer.Text, StringComparison.Ordinal);
        Assert.Equal("gpt-4o-2024-08-06", answer.Model);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Embeddings_Base64AndFloatAnswers_GiveTheSameOneDimensionalVector(string clientPath)
    {
        IRecordedClientPath path = RecordedClientPaths.All[clientPath];
        await using RecordedRig rig = await RecordedRig.StartAsync("AzureOpenAI(dimensions_1).json", path);

        var base64 = Assert.IsType<EmbeddingOutcome>(await path.SendAsync(rig.Services, rig.Recording.Entries[0], CancellationToken.None));
        var floats = Assert.IsType<EmbeddingOutcome>(await path.SendAsync(rig.Services, rig.Recording.Entries[1], CancellationToken.None));

        Assert.Equal([1.0f], Assert.Single(base64.Vectors));
        Assert.Equal([1.0f], Assert.Single(floats.Vectors));
        Assert.All(rig.Server.Requests, r => Assert.Equal(1, r.Json().GetProperty("dimensions").GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Embeddings_Ada_1536UnitVectorDecodedFromBase64(string clientPath)
    {
        IRecordedClientPath path = RecordedClientPaths.All[clientPath];
        await using RecordedRig rig = await RecordedRig.StartAsync("SimpleEmbeddingWithTopLevelClient.json", path);

        var embedding = Assert.IsType<EmbeddingOutcome>(await path.SendAsync(rig.Services, rig.Recording.Entries[0], CancellationToken.None));

        float[] vector = Assert.Single(embedding.Vectors);
        Assert.Equal(1536, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), precision: 3);
        Assert.Equal("ada", embedding.Model);
    }
}
