using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>
/// Each request recorded from live Azure OpenAI, sent to the emulator as it was recorded: the
/// emulator answers with the recorded status, the recorded header names, and a body of the
/// recorded shape (a stream: the recorded events, in the recorded order, each of its recorded
/// shape); an error body in Azure's exact words. The recording is the expected side; every
/// difference the emulator keeps is an allowance here with its reason, and in docs/emulator.md.
/// </summary>
public sealed class RecordingsConformanceTests
{
    /// <summary>Recorded exchanges the emulator does not model, each a remaining difference in docs/emulator.md.</summary>
    internal static readonly IReadOnlyDictionary<(string File, int Entry), string> NotEmulated = new Dictionary<(string, int), string>
    {
        [("SimpleToolWorksStreaming(Auto).json", 0)] = "tools and function calling: the emulator answers text, never a tool call",
    };

    public static TheoryData<string, int> Cases()
    {
        var cases = new TheoryData<string, int>();
        foreach (string file in AzureRecordings.FileNames)
        {
            for (int entry = 0; entry < AzureRecordings.Load(file).Entries.Count; entry++)
            {
                if (!NotEmulated.ContainsKey((file, entry)))
                {
                    cases.Add(file, entry);
                }
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Emulator_RecordedRequest_AnswersInTheRecordedShape(string file, int index)
    {
        RecordedEntry entry = AzureRecordings.Load(file).Entries[index];
        string what = $"{file} entry {index}";
        (JsonShape shape, IReadOnlySet<string> ignoredEvents) = Allowances(file);
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.SendRecordedAsync(entry);

        Assert.Equal((HttpStatusCode)entry.StatusCode, response.StatusCode);
        HeaderShape.AssertSameNames(entry.ResponseHeaders.Keys, ConformanceEmulator.HeaderNames(response), PermittedExtraHeaders(entry), what);
        if (entry.IsEventStream)
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            await AssertSameStreamAsync(entry, response, shape, ignoredEvents, what);
            return;
        }

        JsonElement body = await ConformanceEmulator.ReadJsonAsync(response);
        if (entry.StatusCode is >= 200 and <= 299)
        {
            shape.AssertSameShape(entry.ResponseBody!.Value, body, what);
            Assert.Equal(entry.ResponseBody!.Value.GetProperty("model").GetString(), body.GetProperty("model").GetString());
        }
        else
        {
            // An error is Azure's words exactly: clients and people match on them.
            Assert.True(
                JsonNode.DeepEquals(JsonNode.Parse(entry.ResponseBody!.Value.GetRawText()), JsonNode.Parse(body.GetRawText())),
                $"{what}: recorded {entry.ResponseBody!.Value.GetRawText()}, got {body.GetRawText()}");
        }
    }

    [Fact]
    public void NotEmulated_EachIsListedInTheEmulatorDocs()
    {
        string docs = File.ReadAllText(RepositoryFile("docs/emulator.md"));

        Assert.All(NotEmulated.Keys, key => Assert.Contains(key.File, docs, StringComparison.Ordinal));
    }

    private static async Task AssertSameStreamAsync(RecordedEntry entry, HttpResponseMessage response, JsonShape shape, IReadOnlySet<string> ignoredEvents, string what)
    {
        IReadOnlyList<JsonElement?> events = await ConformanceEmulator.ReadEventsAsync(response);
        List<JsonElement?> recorded = [.. entry.Events.Select(RecordedEntry.Payload).Where(e => !ignoredEvents.Contains(EventStreamShape.Label(e)))];
        Assert.Equal(EventStreamShape.Order(recorded), EventStreamShape.Order(events));

        IReadOnlyDictionary<string, JsonElement> models = EventStreamShape.FirstOfEach(recorded.Where(e => e is not null).Select(e => e!.Value));
        string recordedModel = entry.EventPayloads.Select(e => e.GetProperty("model").GetString()).First(m => !string.IsNullOrEmpty(m))!;
        foreach (JsonElement chunk in events.Where(e => e is not null).Select(e => e!.Value))
        {
            string label = EventStreamShape.Label(chunk);
            shape.AssertSameShape(models[label], chunk, $"{what}, {label} event");
            string? model = chunk.GetProperty("model").GetString();
            Assert.True(model is "" || model == recordedModel, $"{what}, {label} event: model '{model}', recorded '{recordedModel}'");
        }
    }

    /// <summary>What the recording's answer may have that the emulator's does not, and the reason.</summary>
    private static (JsonShape Shape, IReadOnlySet<string> IgnoredEvents) Allowances(string file) => file switch
    {
        "ChatCompletionStreaming.json" => (
            new JsonShape().Allow("$.choices[].logprobs", "the request asked for log probabilities, which the emulator does not produce"),
            new HashSet<string>()),
        "AsyncContentFilterWorksStreaming(V2025_01_01_Preview).json" => (
            new JsonShape()
                .Allow("$.choices[].content_filter_results", "the recorded deployment uses the asynchronous filter (no results in chunks); the emulator models the default filter")
                .Allow("$.prompt_filter_results[].content_filter_results.custom_blocklists", "the recorded deployment has a custom blocklist; the emulator has none"),
            new HashSet<string> { EventStreamShape.FilterAnnotation }),
        _ => (new JsonShape(), new HashSet<string>()),
    };

    /// <summary>A success may carry any header some recorded success carries (the service's headers changed over time); an error only its own.</summary>
    private static IEnumerable<string> PermittedExtraHeaders(RecordedEntry entry) =>
        entry.StatusCode is >= 200 and <= 299
            ? AzureRecordings.FileNames.SelectMany(f => AzureRecordings.Load(f).Entries).Where(e => e.StatusCode is >= 200 and <= 299).SelectMany(e => e.ResponseHeaders.Keys)
            : [];

    /// <summary>A file of this repository, found by walking up from the test assembly to the solution.</summary>
    internal static string RepositoryFile(string relativePath)
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SecureAoai.sln")))
            {
                return Path.Combine(directory.FullName, relativePath);
            }
        }

        throw new DirectoryNotFoundException($"No SecureAoai.sln above {AppContext.BaseDirectory}.");
    }
}
