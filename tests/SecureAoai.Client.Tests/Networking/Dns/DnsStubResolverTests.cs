using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>The stub resolver against scripted servers, for answers a real server would not give.</summary>
public sealed class DnsStubResolverTests
{
    /// <summary>For tests that must sit through a timeout.</summary>
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(300);

    /// <summary>For tests that expect an answer: generous, so a loaded CI machine does not turn an answer into a timeout.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(3);

    private static DnsStubResolver Resolver(TimeProvider? time = null, int attempts = 1, TimeSpan? timeout = null, params ScriptedDnsServer[] servers)
    {
        var options = new DnsStubResolverOptions { AttemptTimeout = timeout ?? AnswerTimeout, AttemptsPerServer = attempts };
        foreach (var server in servers)
        {
            options.Servers.Add(server.EndPoint);
        }

        return new DnsStubResolver(options, time);
    }

    private static async Task<HostResolutionException> FailsAsync(DnsStubResolver resolver, string host) =>
        await Assert.ThrowsAsync<HostResolutionException>(() => resolver.ResolveAsync(host, default).AsTask());

    [Fact]
    public async Task ResolveAsync_ServfailThenNextServerAnswers_UsesNextServer()
    {
        await using var failing = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.ServerFailure)]);
        await using var working = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));

        var resolution = await Resolver(servers: [failing, working]).ResolveAsync("a.test", default);

        Assert.Equal([IPAddress.Parse("10.0.0.7")], resolution.Addresses);
        Assert.Equal($"DNS {working.EndPoint}", resolution.Source);
    }

    [Fact]
    public async Task ResolveAsync_EveryServerServfailsOrRefuses_ThrowsServerFailureNamingEach()
    {
        await using var servfail = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.ServerFailure)]);
        await using var refused = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.Refused)]);

        var error = await FailsAsync(Resolver(servers: [servfail, refused]), "a.test");

        Assert.Equal(HostResolutionFailure.ServerFailure, error.Failure);
        Assert.Contains($"{servfail.EndPoint} answered SERVFAIL", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{refused.EndPoint} answered REFUSED", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_NxdomainFromFirstServer_StopsWithoutAskingNext()
    {
        await using var nx = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.NameError)]);
        await using var other = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));

        var error = await FailsAsync(Resolver(servers: [nx, other]), "a.test");

        Assert.Equal(HostResolutionFailure.NameNotFound, error.Failure);
        Assert.Equal(0, other.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_EveryServerSilent_ThrowsTimeoutWithinConfiguredTime()
    {
        await using var first = ScriptedDnsServer.Silent();
        await using var second = ScriptedDnsServer.Silent();
        var stopwatch = Stopwatch.StartNew();

        var error = await FailsAsync(Resolver(attempts: 2, timeout: ShortTimeout, servers: [first, second]), "a.test");

        // Two servers, two attempts each, A and AAAA in parallel: about 4 x 300 ms.
        Assert.Equal(HostResolutionFailure.Timeout, error.Failure);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"took {stopwatch.Elapsed}");
        Assert.True(stopwatch.Elapsed >= 4 * ShortTimeout - TimeSpan.FromMilliseconds(50), $"took {stopwatch.Elapsed}");
        Assert.Contains($"{first.EndPoint} timed out 2 times after 300 ms each", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, first.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_WrongIdThenRightAnswer_AcceptsRightAnswer()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
        [
            DnsResponseBuilder.Response((ushort)(id ^ 0x5A5A), q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "6.6.6.6")] : []),
            DnsResponseBuilder.Response(id, q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "10.0.0.7")] : []),
        ]);

        var resolution = await Resolver(servers: server).ResolveAsync("a.test", default);

        Assert.Equal([IPAddress.Parse("10.0.0.7")], resolution.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_WrongQuestionThenRightAnswer_AcceptsRightAnswer()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
        [
            DnsResponseBuilder.Response(id, q with { Name = "evil.test" }, q.Type == DnsRecordType.A ? [TestRecord.A("evil.test", "6.6.6.6")] : []),
            [0xFF, 0xFF],
            DnsResponseBuilder.Response(id, q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "10.0.0.7")] : []),
        ]);

        var resolution = await Resolver(servers: server).ResolveAsync("a.test", default);

        Assert.Equal([IPAddress.Parse("10.0.0.7")], resolution.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_OnlyMismatchedAnswers_ThrowsInvalidResponse()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response((ushort)(id + 1), q, [])]);

        var error = await FailsAsync(Resolver(timeout: ShortTimeout, servers: server), "a.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.Contains("wrong id or question", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_FloodOfMismatchedDatagrams_GivesUpAfterLimitWithoutWaitingForTimeout()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            Enumerable.Range(1, DnsLimits.MaxIgnoredDatagramsPerAttempt + 5).Select(i => DnsResponseBuilder.Response((ushort)(id + i), q, [])));
        var options = new DnsStubResolverOptions { AttemptTimeout = TimeSpan.FromSeconds(10), AttemptsPerServer = 1 };
        options.Servers.Add(server.EndPoint);
        var stopwatch = Stopwatch.StartNew();

        var error = await FailsAsync(new DnsStubResolver(options), "a.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task ResolveAsync_TruncatedUdpAnswer_AsksAgainOverTcp()
    {
        await using var server = ScriptedDnsServer.Start((id, q, tcp) =>
            [tcp || q.Type == DnsRecordType.Aaaa
                ? DnsResponseBuilder.Response(id, q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "10.0.0.8"), TestRecord.A(q.Name, "10.0.0.9")] : [])
                : DnsResponseBuilder.Response(id, q, [TestRecord.A(q.Name, "10.0.0.8")], truncated: true)]);

        var resolution = await Resolver(servers: server).ResolveAsync("a.test", default);

        Assert.Equal([IPAddress.Parse("10.0.0.8"), IPAddress.Parse("10.0.0.9")], resolution.Addresses);
        Assert.Equal(1, server.TcpQueries);
    }

    [Fact]
    public async Task ResolveAsync_ChainEndsWithoutAddresses_QueriesTheTarget()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) => q.Name switch
        {
            "a.test" => [DnsResponseBuilder.Response(id, q, [TestRecord.CName("a.test", "b.test", 600), TestRecord.CName("b.test", "c.other", 120)])],
            "c.other" => [DnsResponseBuilder.Response(id, q, q.Type == DnsRecordType.A ? [TestRecord.A("c.other", "10.0.0.5", 900)] : [])],
            _ => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.NameError)],
        });

        var resolution = await Resolver(servers: server).ResolveAsync("a.test", default);

        Assert.Equal(["a.test", "b.test", "c.other"], resolution.Chain);
        Assert.Equal([IPAddress.Parse("10.0.0.5")], resolution.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(120), resolution.TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_CnameLoop_ThrowsInvalidResponse()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.CName("a.test", "b.test"), TestRecord.CName("b.test", "A.TEST"));

        var error = await FailsAsync(Resolver(servers: server), "a.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.Contains("CNAME loop", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_ChainLongerThanLimitAcrossQueries_ThrowsInvalidResponse()
    {
        // Every name n<k>.test is an alias of n<k+1>.test, one hop per answer, forever.
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            [DnsResponseBuilder.Response(id, q, [TestRecord.CName(q.Name, $"n{int.Parse(q.Name[1..q.Name.IndexOf('.')]) + 1}.test")])]);

        var error = await FailsAsync(Resolver(servers: server), "n0.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.True(server.UdpQueries <= 2 * (DnsLimits.MaxCnameHops + 1), $"{server.UdpQueries} queries");
    }

    [Fact]
    public async Task ResolveAsync_WithinTtl_AnswersFromCacheWithRemainingTtl()
    {
        var time = new FakeTimeProvider();
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 60));
        var resolver = Resolver(time, servers: server);
        await resolver.ResolveAsync("a.test", default);
        var queriesAfterFirst = server.UdpQueries;
        time.Advance(TimeSpan.FromSeconds(45));

        var cached = await resolver.ResolveAsync("A.Test", default);

        Assert.Equal(queriesAfterFirst, server.UdpQueries);
        Assert.Equal(TimeSpan.FromSeconds(15), cached.TimeToLive);
        Assert.Equal("A.Test", cached.Host);
        Assert.Equal(["A.Test"], cached.Chain);
    }

    [Fact]
    public async Task ResolveAsync_AfterTtl_AsksAgain()
    {
        var time = new FakeTimeProvider();
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 60));
        var resolver = Resolver(time, servers: server);
        await resolver.ResolveAsync("a.test", default);
        var queriesAfterFirst = server.UdpQueries;
        time.Advance(TimeSpan.FromSeconds(60));

        await resolver.ResolveAsync("a.test", default);

        Assert.Equal(2 * queriesAfterFirst, server.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_TtlZero_IsNotCached()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 0));
        var resolver = Resolver(new FakeTimeProvider(), servers: server);

        await resolver.ResolveAsync("a.test", default);
        await resolver.ResolveAsync("a.test", default);

        Assert.Equal(4, server.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_TtlOverCap_IsCappedAtMaxTimeToLive()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 86_400));

        var resolution = await Resolver(servers: server).ResolveAsync("a.test", default);

        Assert.Equal(TimeSpan.FromHours(1), resolution.TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_ConcurrentLookupsOfOneName_ShareOneSetOfQueries()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));
        var resolver = Resolver(servers: server);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => resolver.ResolveAsync("a.test", default).AsTask()));

        Assert.All(results, r => Assert.Equal([IPAddress.Parse("10.0.0.7")], r.Addresses));
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_ClosedPort_MovesOnWithoutWaitingForTimeout()
    {
        ScriptedDnsServer closed = ScriptedDnsServer.Silent();
        var closedEndPoint = closed.EndPoint;
        await closed.DisposeAsync();
        await using var working = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));
        var options = new DnsStubResolverOptions { AttemptTimeout = TimeSpan.FromSeconds(10) };
        options.Servers.Add(closedEndPoint);
        options.Servers.Add(working.EndPoint);
        var stopwatch = Stopwatch.StartNew();

        var resolution = await new DnsStubResolver(options).ResolveAsync("a.test", default);

        Assert.Equal($"DNS {working.EndPoint}", resolution.Source);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task ResolveAsync_CallerCancels_StopsWaiting()
    {
        await using var server = ScriptedDnsServer.Silent();
        using var cancel = new CancellationTokenSource();
        var lookup = Resolver(servers: server).ResolveAsync("a.test", cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup);
    }

    [Theory]
    [InlineData("10.0.0.4", "10.0.0.4:53")]
    [InlineData("10.0.0.4:5353", "10.0.0.4:5353")]
    [InlineData("::1", "[::1]:53")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    public void ParseServer_ValidText_ReturnsEndPoint(string text, string expected)
    {
        Assert.Equal(expected, DnsStubResolverOptions.ParseServer(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("dns.example")]
    [InlineData("10.0.0.4:0")]
    [InlineData("10.0.0.4:70000")]
    [InlineData("[10.0.0.4]:53")]
    [InlineData("[::1")]
    [InlineData("[::1]x53")]
    public void ParseServer_InvalidText_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => DnsStubResolverOptions.ParseServer(text));
    }

    [Fact]
    public void Constructor_NoServers_ThrowsInvalidOperationException()
    {
        Assert.Throws<InvalidOperationException>(() => new DnsStubResolver(new DnsStubResolverOptions()));
    }
}
