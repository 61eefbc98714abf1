using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Client;
using SecureAoai.Client.Failover;
using SecureAoai.IntegrationTests.Infrastructure;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// Every recording of live Azure OpenAI, replayed through every client path of
/// <c>AddSecureOpenAI</c>: the user gets what the service sent (text, tool calls, embeddings,
/// usage, model), the <c>SecureAoai</c> meter counts the recorded usage, the rate-limit snapshot
/// holds the recorded headers, and each refusal is a <see cref="SecureOpenAIException"/> with the
/// recorded status and code, the right reason and a fix.
/// </summary>
public sealed class RecordedReplayTests
{
    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string recording in AzureRecordings.FileNames)
        {
            foreach (string path in RecordedClientPaths.All.Keys)
            {
                cases.Add(recording, path);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Replay_Recording_CallerGetsWhatAzureSent(string recording, string clientPath)
    {
        IRecordedClientPath path = RecordedClientPaths.All[clientPath];
        await using RecordedRig rig = await RecordedRig.StartAsync(recording, path);

        foreach (RecordedEntry entry in rig.Recording.Entries)
        {
            if (entry.StatusCode is >= 200 and <= 299)
            {
                RecordedOutcome outcome = await path.SendAsync(rig.Services, entry, CancellationToken.None);
                AssertSameOutcome(RecordedExpectation.Success(entry), outcome);
            }
            else
            {
                await AssertRefusedAsync(rig, path, entry);
            }
        }

        AssertRequestsAsRecorded(rig);
        AssertUsageCounted(rig);
        AssertRateLimitsAsRecorded(rig);
    }

    private static void AssertSameOutcome(RecordedOutcome expected, RecordedOutcome actual)
    {
        switch (expected)
        {
            case ChatOutcome chat:
                var got = Assert.IsType<ChatOutcome>(actual);
                Assert.Equal(chat.Text, got.Text);
                Assert.Equal(chat.FinishReason, got.FinishReason);
                Assert.Equal(chat.ToolCalls, got.ToolCalls);
                Assert.Equal(chat.Usage, got.Usage);
                Assert.Equal(chat.Model, got.Model);
                break;
            case EmbeddingOutcome embeddings:
                var vectors = Assert.IsType<EmbeddingOutcome>(actual);
                Assert.Equal(embeddings.Vectors.Count, vectors.Vectors.Count);
                for (int i = 0; i < embeddings.Vectors.Count; i++)
                {
                    Assert.Equal(embeddings.Vectors[i], vectors.Vectors[i]);
                }

                Assert.Equal(embeddings.Usage, vectors.Usage);
                Assert.Equal(embeddings.Model, vectors.Model);
                break;
            default:
                Assert.Fail($"No comparison for {expected.GetType().Name}.");
                break;
        }
    }

    private static async Task AssertRefusedAsync(RecordedRig rig, IRecordedClientPath path, RecordedEntry entry)
    {
        (int status, string? code, string message) = RecordedExpectation.Error(entry);
        (SecureOpenAIRefusal reason, string fix) = ExpectedRefusal(entry, status, code);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => path.SendAsync(rig.Services, entry, CancellationToken.None));

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(reason, error.Reason);
        Assert.Equal(rig.Server.Endpoint, error.Endpoint);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(RecordedRig.ReplayApiKey, error.Message, StringComparison.Ordinal);
    }

    /// <summary>The refusal each recorded error means, and a phrase its fix must contain.</summary>
    private static (SecureOpenAIRefusal Reason, string Fix) ExpectedRefusal(RecordedEntry entry, int status, string? code) => (status, code) switch
    {
        (401, _) when !entry.UsedBearerToken => (SecureOpenAIRefusal.Unauthorized, "SecureOpenAI:ApiKey"),
        (401, _) => (SecureOpenAIRefusal.Unauthorized, "token"),
        (404, "DeploymentNotFound") => (SecureOpenAIRefusal.DeploymentNotFound, "SecureOpenAI:Deployments"),
        _ => throw new InvalidOperationException($"No expectation for {status} {code} in {entry.RequestUri}: say in ExpectedRefusal what the user should be told."),
    };

    /// <summary>One request per recorded exchange (no retry, no token refresh), to the recorded path, with the recorded options.</summary>
    private static void AssertRequestsAsRecorded(RecordedRig rig)
    {
        IReadOnlyList<ReceivedRequest> received = rig.Server.Requests;
        Assert.Equal(rig.Recording.Entries.Count, received.Count);
        foreach ((RecordedEntry entry, ReceivedRequest request) in rig.Recording.Entries.Zip(received))
        {
            Assert.Equal(entry.RequestMethod, request.Method);
            Assert.Equal(Uri.UnescapeDataString(entry.RequestUri.AbsolutePath), request.Path);
            Assert.Equal(entry.RequestUri.Query, request.Query);
            Assert.Equal(entry.UsedBearerToken, request.Headers.ContainsKey("Authorization"));
            JsonElement sent = request.Json();
            foreach (string option in (string[])["stream", "dimensions", "tool_choice", "model"])
            {
                if (entry.RequestProperty(option) is { } recorded)
                {
                    Assert.True(sent.TryGetProperty(option, out JsonElement value), $"the client did not send '{option}'");
                    Assert.Equal(recorded.GetRawText(), value.GetRawText());
                }
            }

            if (entry.RequestProperty("messages") is { } messages)
            {
                Assert.Equal(messages.GetArrayLength(), sent.GetProperty("messages").GetArrayLength());
            }
        }
    }

    private static void AssertUsageCounted(RecordedRig rig)
    {
        (long prompt, long completion) = RecordedExpectation.Tokens(rig.Recording.Entries);
        Assert.Equal(prompt, rig.Metrics.Sum("secureaoai.tokens", ("endpoint", rig.EndpointName), ("kind", "prompt")));
        Assert.Equal(completion, rig.Metrics.Sum("secureaoai.tokens", ("endpoint", rig.EndpointName), ("kind", "completion")));
    }

    /// <summary>The snapshot holds the last recorded <c>x-ratelimit-remaining-*</c> values; none was sent, none is held.</summary>
    private static void AssertRateLimitsAsRecorded(RecordedRig rig)
    {
        RecordedEntry? last = rig.Recording.Entries.LastOrDefault(e =>
            e.ResponseHeaders.ContainsKey("x-ratelimit-remaining-requests") || e.ResponseHeaders.ContainsKey("x-ratelimit-remaining-tokens"));
        RateLimitSnapshot? snapshot = rig.Services.GetRequiredService<SecureOpenAIRateLimits>().Get(rig.EndpointName);
        if (last is null)
        {
            Assert.Null(snapshot);
            return;
        }

        Assert.NotNull(snapshot);
        Assert.Equal(Number(last, "x-ratelimit-remaining-requests"), snapshot.RemainingRequests);
        Assert.Equal(Number(last, "x-ratelimit-remaining-tokens"), snapshot.RemainingTokens);
    }

    private static long? Number(RecordedEntry entry, string header) =>
        entry.ResponseHeaders.TryGetValue(header, out string? value) ? long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}
