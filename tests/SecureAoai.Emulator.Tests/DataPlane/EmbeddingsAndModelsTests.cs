using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;

namespace SecureAoai.Emulator.Tests.DataPlane;

public sealed class EmbeddingsAndModelsTests
{
    private static async Task<EmulatorServer> StartWithKeyAuthAsync()
    {
        var options = new EmulatorOptions();
        options.Instances.Add(new EmulatorInstanceOptions { Name = "westus", KeyAuthEnabled = true });
        return await EmulatorServer.StartAsync(options);
    }

    private static OpenAIClientOptions ClientOptions(EmulatorInstance instance, HttpClient http) => new()
    {
        Endpoint = new Uri(instance.Endpoint, "openai/v1/"),
        Transport = new HttpClientPipelineTransport(http),
    };

    [Fact]
    public async Task GenerateEmbedding_OpenAIClient_ReturnsDeterministicUnitVector()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["westus"];
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential(instance.ApiKey), ClientOptions(instance, http));

        OpenAIEmbedding first = await client.GenerateEmbeddingAsync("the same text");
        OpenAIEmbedding again = await client.GenerateEmbeddingAsync("the same text");
        OpenAIEmbedding other = await client.GenerateEmbeddingAsync("different text");

        float[] vector = first.ToFloats().ToArray();
        Assert.Equal(64, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), precision: 4);
        Assert.Equal(vector, again.ToFloats().ToArray());
        Assert.NotEqual(vector, other.ToFloats().ToArray());
    }

    [Fact]
    public async Task Embeddings_FloatFormatWithTwoInputs_ReturnsFloatArraysAndUsage()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["westus"];

        using HttpResponseMessage response = await EmulatorRequests.PostAsync(
            http, instance.Endpoint, "openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21",
            new { input = new[] { "one two", "three" }, encoding_format = "float", dimensions = 8 }, apiKey: instance.ApiKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("data").GetArrayLength());
        Assert.Equal(8, body.GetProperty("data")[1].GetProperty("embedding").GetArrayLength());
        Assert.Equal(3, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Embeddings_ChatDeployment_Returns400OperationNotSupported()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["westus"];

        using HttpResponseMessage response = await EmulatorRequests.PostAsync(
            http, instance.Endpoint, "openai/v1/embeddings", new { model = "gpt-4o-mini", input = "x" }, apiKey: instance.ApiKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationNotSupported", (await EmulatorRequests.ReadErrorAsync(response)).Code);
    }

    [Fact]
    public async Task ListModels_BearerToken_ListsTheModelsBehindTheDeployments()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server["eastus"].Endpoint, "openai/v1/models"));
        request.Headers.Authorization = new("Bearer", server.CreateAccessToken(EmulatorOptions.DefaultClientId));

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal("list", body.GetProperty("object").GetString());
        string[] ids = [.. body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal([EmulatorDeployment.DefaultChatModel, EmulatorDeployment.DefaultEmbeddingModel], ids);
        Assert.All(body.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.GetProperty("object").GetString()));
    }

    [Fact]
    public void CreateVector_TextsSharingWords_CloserThanUnrelatedTexts()
    {
        static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
        var question = SecureAoai.Emulator.Internal.DataPlane.EmbeddingsResponder.CreateVector("How do private endpoints resolve?", 256);
        var related = SecureAoai.Emulator.Internal.DataPlane.EmbeddingsResponder.CreateVector("Private endpoints resolve through the privatelink zone.", 256);
        var unrelated = SecureAoai.Emulator.Internal.DataPlane.EmbeddingsResponder.CreateVector("Bananas ripen faster next to apples.", 256);

        Assert.True(Cosine(question, related) > Cosine(question, unrelated) + 0.2);
        Assert.Equal(1.0, Cosine(related, related), 3);
    }
}
