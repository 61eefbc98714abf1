using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SecureAoai.Emulator.Tests;

/// <summary>Raw HTTP requests to the emulator, for checks the OpenAI client would hide.</summary>
internal static class EmulatorRequests
{
    public const string ChatPath = "openai/v1/chat/completions";

    public static readonly object ChatBody = new
    {
        model = "gpt-4o-mini",
        messages = new[] { new { role = "user", content = "hello from the test" } },
    };

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, Uri baseAddress, string path, object body, string? bearer = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, path)) { Content = JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("api-key", apiKey);
        }

        return http.SendAsync(request);
    }

    /// <summary>
    /// Reads an Azure error body in either shape and returns (code, message): the code of
    /// <c>{"error":{...}}</c>, or <see langword="null"/> for the bare <c>{"statusCode","message"}</c>.
    /// </summary>
    public static async Task<(string? Code, string Message)> ReadErrorAsync(HttpResponseMessage response)
    {
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (body.RootElement.TryGetProperty("error", out JsonElement error))
        {
            return (error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!);
        }

        Assert.Equal((int)response.StatusCode, body.RootElement.GetProperty("statusCode").GetInt32());
        return (null, body.RootElement.GetProperty("message").GetString()!);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.Clone();
    }
}
