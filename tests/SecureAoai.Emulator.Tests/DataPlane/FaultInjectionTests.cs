using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenAI;
using OpenAI.Chat;

namespace SecureAoai.Emulator.Tests.DataPlane;

public sealed class FaultInjectionTests
{
    private static async Task<EmulatorServer> StartAsync(int? faultSeed = null, params string[] names)
    {
        var options = new EmulatorOptions();
        foreach (string name in names.Length == 0 ? ["eastus"] : names)
        {
            options.Instances.Add(new EmulatorInstanceOptions { Name = name, KeyAuthEnabled = true, FaultSeed = faultSeed });
        }

        return await EmulatorServer.StartAsync(options);
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient http, EmulatorInstance instance) =>
        EmulatorRequests.PostAsync(http, instance.Endpoint, EmulatorRequests.ChatPath, EmulatorRequests.ChatBody, apiKey: instance.ApiKey);

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : "(absent)";

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    [Fact]
    public async Task Throttle_24Hours_Answers429WithFullRetryAfterUntilCleared()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        instance.Throttle(TimeSpan.FromHours(24));
        using HttpResponseMessage throttled = await ChatAsync(http, instance);
        instance.Throttle(null);
        using HttpResponseMessage served = await ChatAsync(http, instance);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("86400", Header(throttled, "Retry-After"));
        Assert.Equal("86400000", Header(throttled, "retry-after-ms"));
        Assert.Equal("86400000", Header(throttled, "x-ms-retry-after-ms"));
        Assert.Equal("0", Header(throttled, "x-ratelimit-remaining-requests"));
        (string? code, string message) = await EmulatorRequests.ReadErrorAsync(throttled);
        Assert.Equal("429", code);
        Assert.Contains("Please retry after 86400 seconds.", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(1, instance.ThrottledCount);
        Assert.Equal(2, instance.RequestCount);
    }

    [Fact]
    public async Task Throttle_OpenAIClientWithoutRetries_SeesStatus429AndRetryAfter()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential(instance.ApiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(instance.Endpoint, "openai/v1/"),
            Transport = new HttpClientPipelineTransport(http),

            // Its own policy would honour Retry-After: 1.5 s here.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        instance.Throttle(TimeSpan.FromMilliseconds(1500));

        ClientResultException error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
        PipelineResponse response = error.GetRawResponse()!;
        Assert.Equal("2", response.Headers.TryGetValue("Retry-After", out string? retryAfter) ? retryAfter : null);
        Assert.Equal("1500", response.Headers.TryGetValue("retry-after-ms", out string? retryAfterMs) ? retryAfterMs : null);
    }

    [Fact]
    public async Task InjectErrors_ProbabilityOne_AnswersEveryRequestWithAzureErrorBody()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        instance.InjectErrors(1.0, 503);
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage response = await ChatAsync(http, instance);
            statuses.Add(response.StatusCode);
            Assert.Equal("ServiceUnavailable", (await EmulatorRequests.ReadErrorAsync(response)).Code);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        Assert.Equal(3, instance.FaultedCount);
        Assert.Equal(3, instance.RequestCount);
    }

    [Fact]
    public async Task InjectErrors_ProbabilityZero_ServesEveryRequest()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        instance.InjectErrors(0.0, 500, 502);
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage response = await ChatAsync(http, instance);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, instance.FaultedCount);
    }

    [Fact]
    public async Task InjectErrors_SameSeed_FailsTheSameRequests()
    {
        await using EmulatorServer server = await StartAsync(faultSeed: 42, "eastus", "westus");
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        var sequences = new List<string>();

        foreach (EmulatorInstance instance in server.Instances)
        {
            instance.InjectErrors(0.5, 500, 408);
            var statuses = new StringBuilder();
            for (int i = 0; i < 16; i++)
            {
                using HttpResponseMessage response = await ChatAsync(http, instance);
                statuses.Append((int)response.StatusCode).Append(' ');
            }

            sequences.Add(statuses.ToString());
        }

        Assert.Equal(sequences[0], sequences[1]);
        Assert.Contains("200", sequences[0], StringComparison.Ordinal);
        Assert.True(server["eastus"].FaultedCount > 0, sequences[0]);
    }

    [Fact]
    public async Task InjectErrors_ProbabilityAboveOneOrSuccessStatus_Throws()
    {
        await using EmulatorServer server = await StartAsync();
        EmulatorInstance instance = server["eastus"];

        Assert.Throws<ArgumentOutOfRangeException>(() => instance.InjectErrors(1.5, 500));
        Assert.Throws<ArgumentOutOfRangeException>(() => instance.InjectErrors(1.0, 200));
    }

    [Fact]
    public async Task InjectLatency_QuarterSecond_DelaysTheAnswer()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        using (HttpResponseMessage warmUp = await ChatAsync(http, instance))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        instance.InjectLatency(TimeSpan.FromMilliseconds(250));
        var stopwatch = Stopwatch.StartNew();
        using HttpResponseMessage response = await ChatAsync(http, instance);
        stopwatch.Stop();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(240), $"answered after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task InjectStreamCut_AfterBytes_ClientReadFailsBeforeDone()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        instance.InjectStreamCut(600);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(instance.Endpoint, EmulatorRequests.ChatPath))
        {
            Content = System.Net.Http.Json.JsonContent.Create(new
            {
                model = "gpt-4o-mini",
                stream = true,
                messages = new[] { new { role = "user", content = "a stream that will not reach its end" } },
            }),
        };
        request.Headers.Add("api-key", instance.ApiKey);

        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using Stream body = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        IOException? failure = null;
        byte[] buffer = new byte[256];
        try
        {
            // Bounded: the emulator sends well under 64 KiB before the cut.
            for (int read; received.Length < 65536 && (read = await body.ReadAsync(buffer)) > 0;)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException ex)
        {
            failure = ex;
        }

        string text = Encoding.UTF8.GetString(received.ToArray());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(failure);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        Assert.True(received.Length <= 600, $"received {received.Length} bytes");
        Assert.StartsWith("data: ", text, StringComparison.Ordinal);
        Assert.Equal(1, instance.FaultedCount);
    }

    [Fact]
    public async Task InjectStreamCut_OpenAIClient_StreamingThrowsInsteadOfEndingCleanly()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential(instance.ApiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(instance.Endpoint, "openai/v1/"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        instance.InjectStreamCut(700);
        var text = new StringBuilder();

        Exception error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync([new UserChatMessage("one two three four five six seven")]))
            {
                foreach (ChatMessageContentPart part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }
            }
        });

        Assert.True(Chain(error).Any(e => e is IOException), error.ToString());
        Assert.NotEqual("Echo from eastus: one two three four five six seven", text.ToString());
    }

    [Fact]
    public async Task ClearFaults_AfterErrorsLatencyAndCut_ServesNormally()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        instance.InjectErrors(1.0, 500);
        instance.Throttle(TimeSpan.FromSeconds(5));
        instance.InjectStreamCut(0);

        instance.ClearFaults();
        using HttpResponseMessage response = await ChatAsync(http, instance);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, instance.FaultedCount + instance.ThrottledCount);
    }

    [Fact]
    public async Task StopAsync_ThenStartAsync_RefusesConnectionsThenServesOnTheSamePort()
    {
        await using EmulatorServer server = await StartAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];
        int port = instance.Port;
        using (HttpResponseMessage before = await ChatAsync(http, instance))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await instance.StopAsync();
        HttpRequestException refused = await Assert.ThrowsAsync<HttpRequestException>(() => ChatAsync(http, instance));
        bool runningWhileDown = instance.IsRunning;
        await instance.StartAsync();
        using HttpResponseMessage after = await ChatAsync(http, instance);

        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        Assert.False(runningWhileDown);
        Assert.True(instance.IsRunning);
        Assert.Equal(port, instance.Port);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, instance.RequestCount);
    }

    [Fact]
    public async Task StartAsync_AfterServerDisposed_Throws()
    {
        EmulatorServer server = await StartAsync();
        EmulatorInstance instance = server["eastus"];
        await server.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => instance.StartAsync());
        Assert.False(instance.IsRunning);
    }
}
