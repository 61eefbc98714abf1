using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatApp;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests.Samples;

/// <summary>The chat sample on a real Kestrel, calling the emulator with workload identity, driven over loopback.</summary>
public sealed class ChatAppTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    private const int MaxStreamLines = 10_000;

    [Fact]
    public async Task GetRoot_ServesThePageWithTheChatFormAndNoExternalUrls()
    {
        await using var host = await StartAsync();

        var page = await host.Client.GetStringAsync(new Uri("/", UriKind.Relative));
        var script = await host.Client.GetStringAsync(new Uri("/app.js", UriKind.Relative));
        var style = await host.Client.GetStringAsync(new Uri("/app.css", UriKind.Relative));

        Assert.Contains("<form id=\"chat-form\"", page, StringComparison.Ordinal);
        Assert.Contains("src=\"app.js\"", page, StringComparison.Ordinal);
        Assert.Contains("api/chat", script, StringComparison.Ordinal);
        foreach (var text in new[] { page, script, style })
        {
            Assert.DoesNotContain("http://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task GetMe_Unauthenticated_IsAnonymousWithNoRoles()
    {
        await using var host = await StartAsync();

        using var me = JsonDocument.Parse(await host.Client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));

        Assert.Equal("anonymous", me.RootElement.GetProperty("name").GetString());
        Assert.Equal(0, me.RootElement.GetProperty("roles").GetArrayLength());
        Assert.False(me.RootElement.GetProperty("isAuthenticated").GetBoolean());
    }

    [Fact]
    public async Task PostChat_Message_StreamsTheAnswerInSeveralEvents()
    {
        await using var host = await StartAsync();
        const string prompt = "which private endpoint serves the chat deployment";

        var (deltas, done) = await ChatAsync(host.Client, prompt);

        Assert.True(deltas.Count > 1, $"expected the answer in more than one event, got {deltas.Count}");
        Assert.NotNull(done);
        Assert.Equal(string.Concat(deltas), done);
        Assert.Contains(prompt, done, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostChat_AnonymousCaller_KeepsTheExchangeInItsConversation()
    {
        await using var host = await StartAsync();

        var (_, answer) = await ChatAsync(host.Client, "remember the harbour");
        using var conversation = JsonDocument.Parse(await host.Client.GetStringAsync(new Uri("/api/conversation", UriKind.Relative)));

        Assert.Equal("anonymous", conversation.RootElement.GetProperty("caller").GetString());
        var messages = conversation.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("text").GetString())).ToList();
        Assert.Equal([("user", "remember the harbour"), ("assistant", answer)], messages);
    }

    [Fact]
    public async Task DeleteConversation_AfterAChat_LeavesItEmpty()
    {
        await using var host = await StartAsync();
        await ChatAsync(host.Client, "something to forget");

        using var deleted = await host.Client.DeleteAsync(new Uri("/api/conversation", UriKind.Relative));
        using var conversation = JsonDocument.Parse(await host.Client.GetStringAsync(new Uri("/api/conversation", UriKind.Relative)));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, conversation.RootElement.GetProperty("messages").GetArrayLength());
    }

    [Theory]
    [InlineData("{\"message\":\"   \"}")]
    [InlineData("{}")]
    public async Task PostChat_EmptyMessage_Is400(string body)
    {
        await using var host = await StartAsync();

        using var response = await host.Client.PostAsync(new Uri("/api/chat", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("empty", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostChat_MessageOverTheLimit_Is400()
    {
        await using var host = await StartAsync();

        using var response = await host.Client.PostAsJsonAsync(new Uri("/api/chat", UriKind.Relative), new { message = new string('a', ChatAppLimits.MaxMessageChars + 1) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private Task<SampleAppHost> StartAsync() => SampleAppHost.StartAsync(fixture.Settings(), ChatAppHost.ConfigureServices, ChatAppHost.MapEndpoints);

    // Reads the server-sent events as they arrive: the delta of each "data" event, and the text of "done".
    private static async Task<(List<string> Deltas, string? Done)> ChatAsync(HttpClient client, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/chat", UriKind.Relative)) { Content = JsonContent.Create(new { message }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var deltas = new List<string>();
        string? eventName = null;
        for (var lines = 0; lines < MaxStreamLines; lines++)
        {
            var line = await reader.ReadLineAsync();
            if (line is null)
            {
                return (deltas, null);
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var data = JsonDocument.Parse(line["data: ".Length..]);
                switch (eventName)
                {
                    case null:
                        deltas.Add(data.RootElement.GetProperty("delta").GetString()!);
                        break;
                    case "done":
                        return (deltas, data.RootElement.GetProperty("text").GetString());
                    default:
                        Assert.Fail($"unexpected event '{eventName}': {line}");
                        break;
                }

                eventName = null;
            }
        }

        throw new InvalidOperationException($"The stream did not end within {MaxStreamLines} lines.");
    }
}
