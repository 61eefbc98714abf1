using System.Net;
using SecureAoai.Client.Failover.Internal;

namespace SecureAoai.Client.Tests.Failover;

public sealed class RetryHeadersTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-23T10:00:00Z");

    private static TimeSpan? Wait(params (string Name, string Value)[] headers)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return RetryHeaders.RequestedWait(response, Now);
    }

    [Fact]
    public void RequestedWait_RetryAfterMs_WinsOverOthers() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Wait(("retry-after-ms", "1500"), ("Retry-After", "9"), ("x-ms-retry-after-ms", "700")));

    [Fact]
    public void RequestedWait_XMsRetryAfterMs_BeforeRetryAfter() =>
        Assert.Equal(TimeSpan.FromMilliseconds(700), Wait(("x-ms-retry-after-ms", "700"), ("Retry-After", "9")));

    [Fact]
    public void RequestedWait_RetryAfterSeconds_Read() =>
        Assert.Equal(TimeSpan.FromHours(24), Wait(("Retry-After", "86400")));

    [Fact]
    public void RequestedWait_RetryAfterDate_MeasuredFromNow() =>
        Assert.Equal(TimeSpan.FromSeconds(30), Wait(("Retry-After", Now.AddSeconds(30).ToString("r"))));

    [Theory]
    [InlineData("6m0s", 360)]
    [InlineData("1m30s", 90)]
    [InlineData("250ms", 0.25)]
    [InlineData("12", 12)]
    [InlineData("1.5s", 1.5)]
    public void RequestedWait_RateLimitReset_ReadsDurations(string value, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Wait(("x-ratelimit-reset-requests", value)));

    [Fact]
    public void RequestedWait_BothResets_TakesTheLater() =>
        Assert.Equal(TimeSpan.FromSeconds(20), Wait(("x-ratelimit-reset-requests", "5s"), ("x-ratelimit-reset-tokens", "20s")));

    [Theory]
    [InlineData("soon")]
    [InlineData("5x")]
    [InlineData("-3")]
    [InlineData("99999999999")]
    public void RequestedWait_Unreadable_Null(string value) =>
        Assert.Null(Wait(("x-ratelimit-reset-requests", value)));

    [Fact]
    public void RequestedWait_NoHeaders_Null() => Assert.Null(Wait());
}
