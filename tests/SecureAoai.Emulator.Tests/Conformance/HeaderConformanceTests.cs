using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>The success headers' values where the recordings show what they mean.</summary>
public sealed class HeaderConformanceTests
{
    private static readonly RecordedEntry Buffered = AzureRecordings.Load("ChatCompletion.json").Entries[0];

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : "(absent)";

    [Fact]
    public async Task Success_GatewayAndModelRequestIds_AreDifferentIds()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered);

        Assert.NotEqual(Buffered.ResponseHeaders["apim-request-id"], Buffered.ResponseHeaders["X-Request-ID"]);
        Assert.True(Guid.TryParse(Header(response, "apim-request-id"), out _));
        Assert.True(Guid.TryParse(Header(response, "x-request-id"), out _));
        Assert.NotEqual(Header(response, "apim-request-id"), Header(response, "x-request-id"));
    }

    [Fact]
    public async Task Success_Region_IsTheDisplayName()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered);

        Assert.Equal(Buffered.ResponseHeaders["x-ms-region"], Header(response, "x-ms-region"));
        Assert.Equal("East US", Header(response, "x-ms-region"));
    }

    [Fact]
    public async Task Success_ClientRequestId_IsEchoed()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered);

        Assert.Equal(ConformanceEmulator.ClientRequestId, Header(response, "x-ms-client-request-id"));
    }

    [Fact]
    public async Task Success_DeploymentWithoutConfiguredLimit_StillReportsRemainingQuota()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();
        Assert.False(emulator.Instance.RateLimits.ContainsKey(Buffered.Deployment));

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered);

        Assert.True(long.TryParse(Header(response, "x-ratelimit-remaining-requests"), out long requests) && requests > 0);
        Assert.True(long.TryParse(Header(response, "x-ratelimit-remaining-tokens"), out long tokens) && tokens > 0);
        Assert.Equal("(absent)", Header(response, "x-ratelimit-reset-requests"));
    }
}
