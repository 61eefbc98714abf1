using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace QuickStart;

/// <summary>A scripted conversation with both apps through their tunnels, as a browser would have it, with one of the two routers stopped mid-way.</summary>
internal static class Smoke
{
    private const string Guide = """
        # Private endpoints
        Private endpoints give the resource an address inside your virtual network, and private DNS resolves its name there.

        # Failover
        Failover moves a throttled request to the next region at once and honours Retry-After.

        # Dark apps
        A dark app listens on no port; callers reach it through the overlay by service name.
        """;

    public static async Task<bool> RunAsync(Uri chat, Uri doc, Func<Task<string>> stopOneRouter, TextWriter output, CancellationToken cancellationToken)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var ok = true;

        var me = await http.GetFromJsonAsync<JsonElement>(new Uri(chat, "api/me"), cancellationToken);
        var caller = me.GetProperty("name").GetString();
        ok &= Check(output, caller == "browser", $"ChatApp sees the caller as '{caller}' (the overlay identity)");

        const string Prompt = "Why reach Azure OpenAI through a private endpoint?";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(chat, "api/chat")) { Content = JsonContent.Create(new { message = Prompt }) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var (deltas, answer) = await ReadEventsAsync(response, cancellationToken);
        await output.WriteLineAsync($"> {Prompt}{Environment.NewLine}< {answer}");
        ok &= Check(output, response.IsSuccessStatusCode && deltas > 1 && answer.Contains("private endpoint", StringComparison.OrdinalIgnoreCase),
            $"ChatApp streamed its answer in {deltas} pieces (served by westus: eastus is throttled)");

        using var upload = await http.PostAsync(new Uri(doc, "api/documents?name=guide.md"), new StringContent(Guide, Encoding.UTF8, "text/markdown"), cancellationToken);
        ok &= Check(output, upload.IsSuccessStatusCode, $"DocApp took guide.md ({(int)upload.StatusCode})");

        using var ask = await http.PostAsJsonAsync(new Uri(doc, "api/ask"), new { question = "How does failover treat a throttled request?" }, cancellationToken);
        var result = await ask.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var first = ask.IsSuccessStatusCode ? result.GetProperty("citations")[0].GetProperty("excerpt").GetString() ?? "" : "";
        ok &= Check(output, first.Contains("Failover moves", StringComparison.Ordinal), $"DocApp answered citing: \"{first[..Math.Min(first.Length, 60)]}...\"");

        // A router dies: the streams through it fail (so the browser's open connections are dropped),
        // and everything dials through the other router at once.
        var stopped = await stopOneRouter();
        http.Dispose();
        http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        const string Again = "Does the chat survive losing a router?";
        using var again = new HttpRequestMessage(HttpMethod.Post, new Uri(chat, "api/chat")) { Content = JsonContent.Create(new { message = Again }) };
        using var againResponse = await http.SendAsync(again, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var (againDeltas, againAnswer) = await ReadEventsAsync(againResponse, cancellationToken);
        await output.WriteLineAsync($"> {Again}{Environment.NewLine}< {againAnswer}");
        ok &= Check(output, againResponse.IsSuccessStatusCode && againDeltas > 1 && againAnswer.Contains(Again, StringComparison.Ordinal),
            $"Router {stopped} stopped: ChatApp still answered through the other router ({againDeltas} pieces)");

        // What any web page open in the browser could send through a tunnel: a request under its own
        // name once DNS rebinding points that name at 127.0.0.1, and an upload posted from its site.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(chat, "api/me")) { Headers = { Host = "rebound.attacker.example" } };
        using var reboundAnswer = await http.SendAsync(rebound, cancellationToken);
        ok &= Check(output, reboundAnswer.StatusCode == HttpStatusCode.BadRequest, $"ChatApp refuses a request naming another host, as a DNS-rebinding page would send ({(int)reboundAnswer.StatusCode})");
        using var planted = new HttpRequestMessage(HttpMethod.Post, new Uri(doc, "api/documents?name=planted.md"))
        {
            Content = new StringContent("# Planted", Encoding.UTF8, "text/markdown"),
            Headers = { { "Origin", "http://attacker.example" } },
        };
        using var plantedAnswer = await http.SendAsync(planted, cancellationToken);
        ok &= Check(output, plantedAnswer.StatusCode == HttpStatusCode.Forbidden, $"DocApp refuses an upload posted from another site ({(int)plantedAnswer.StatusCode})");
        http.Dispose();
        return ok;
    }

    private static async Task<(int Deltas, string Answer)> ReadEventsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var deltas = 0;
        var answer = string.Empty;
        var isDone = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: done", StringComparison.Ordinal))
            {
                isDone = true;
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var data = JsonDocument.Parse(line["data: ".Length..]);
                if (isDone)
                {
                    answer = data.RootElement.GetProperty("text").GetString() ?? "";
                    break;
                }

                if (data.RootElement.TryGetProperty("delta", out _))
                {
                    deltas++;
                }
            }
        }

        return (deltas, answer);
    }

    private static bool Check(TextWriter output, bool passed, string what)
    {
        output.WriteLine($"  [{(passed ? "ok" : "FAILED")}] {what}");
        return passed;
    }
}
