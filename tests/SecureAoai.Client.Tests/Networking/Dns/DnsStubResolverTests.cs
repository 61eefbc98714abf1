using System.Net;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// The stub resolver against scripted servers, for answers a real server would not give. Every resolver here runs its
/// attempt timeouts on a <see cref="FakeTimeProvider"/>: an answer never races a timeout, and a test about a timeout
/// waits for the server to have seen the queries, then moves the clock. <see cref="HangGuard"/> only guards against a hang.
/// </summary>
public sealed class DnsStubResolverTests
{
    /// <summary>The attempt timeout, on the fake clock.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static DnsStubResolver Resolver(FakeTimeProvider time, int attempts = 1, params ScriptedDnsServer[] servers)
    {
        var options = new DnsStubResolverOptions { AttemptTimeout = AttemptTimeout, AttemptsPerServer = attempts };
        foreach (var server in servers)
        {
            options.Servers.Add(server.EndPoint);
        }

        return new DnsStubResolver(options, time);
    }

    private static DnsStubResolver Resolver(params ScriptedDnsServer[] servers) => Resolver(new FakeTimeProvider(), 1, servers);

    private static Task<HostResolution> ResolveAsync(DnsStubResolver resolver, string host) =>
        resolver.ResolveAsync(host, default).AsTask().WaitAsync(HangGuard);

    private static async Task<HostResolutionException> FailsAsync(DnsStubResolver resolver, string host) =>
        await FailsAsync(ResolveAsync(resolver, host));

    private static async Task<HostResolutionException> FailsAsync(Task<HostResolution> lookup) =>
        await Assert.ThrowsAsync<HostResolutionException>(() => lookup);

    [Fact]
    public async Task ResolveAsync_ServfailThenNextServerAnswers_UsesNextServer()
    {
        await using var failing = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.ServerFailure)]);
        await using var working = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));

        var resolution = await ResolveAsync(Resolver(failing, working), "a.test");

        Assert.Equal([IPAddress.Parse("10.0.0.7")], resolution.Addresses);
        Assert.Equal($"DNS {working.EndPoint}", resolution.Source);
    }

    [Fact]
    public async Task ResolveAsync_EveryServerServfailsOrRefuses_ThrowsServerFailureNamingEach()
    {
        await using var servfail = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.ServerFailure)]);
        await using var refused = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.Refused)]);

        var error = await FailsAsync(Resolver(servfail, refused), "a.test");

        Assert.Equal(HostResolutionFailure.ServerFailure, error.Failure);
        Assert.Contains($"{servfail.EndPoint} answered SERVFAIL", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{refused.EndPoint} answered REFUSED", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_NxdomainFromFirstServer_StopsWithoutAskingNext()
    {
        await using var nx = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.Response(id, q, [], DnsResponseCode.NameError)]);
        await using var other = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));

        var error = await FailsAsync(Resolver(nx, other), "a.test");

        Assert.Equal(HostResolutionFailure.NameNotFound, error.Failure);
        Assert.Equal(0, other.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_EveryServerSilent_TriesEachServerAttemptsTimesThenThrowsTimeout()
    {
        var time = new FakeTimeProvider();
        await using var first = ScriptedDnsServer.Silent();
        await using var second = ScriptedDnsServer.Silent();
        var lookup = ResolveAsync(Resolver(time, 2, first, second), "a.test");

        // A and AAAA go out together; each round of two ends when the clock passes the attempt timeout.
        foreach (var (server, queries) in new[] { (first, 2), (first, 4), (second, 2), (second, 4) })
        {
            await server.WaitForUdpQueriesAsync(queries, HangGuard);
            time.Advance(AttemptTimeout);
        }

        var error = await FailsAsync(lookup);
        Assert.Equal(HostResolutionFailure.Timeout, error.Failure);
        Assert.Contains($"{first.EndPoint} timed out 2 times after 2 s each", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{second.EndPoint} timed out 2 times after 2 s each", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, first.UdpQueries);
        Assert.Equal(4, second.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_FirstServerSilent_MovesOnAfterTheAttemptTimeout()
    {
        var time = new FakeTimeProvider();
        await using var silent = ScriptedDnsServer.Silent();
        await using var working = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));
        var lookup = ResolveAsync(Resolver(time, 1, silent, working), "a.test");

        await silent.WaitForUdpQueriesAsync(2, HangGuard);
        Assert.Equal(0, working.UdpQueries);
        time.Advance(AttemptTimeout);

        Assert.Equal($"DNS {working.EndPoint}", (await lookup).Source);
    }

    [Fact]
    public async Task ResolveAsync_WrongIdThenRightAnswer_AcceptsRightAnswer()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
        [
            DnsResponseBuilder.Response((ushort)(id ^ 0x5A5A), q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "6.6.6.6")] : []),
            DnsResponseBuilder.Response(id, q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "10.0.0.7")] : []),
        ]);

        var resolution = await ResolveAsync(Resolver(server), "a.test");

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

        var resolution = await ResolveAsync(Resolver(server), "a.test");

        Assert.Equal([IPAddress.Parse("10.0.0.7")], resolution.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_OnlyAnswersToAnotherQuestion_ThrowsInvalidResponseAtTheTimeout()
    {
        var time = new FakeTimeProvider();
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            [DnsResponseBuilder.Response(id, q with { Name = "evil.test" }, [TestRecord.A("evil.test", "6.6.6.6")])]);
        var lookup = ResolveAsync(Resolver(time, 1, server), "a.test");

        await server.WaitForUdpQueriesAsync(2, HangGuard);
        time.Advance(AttemptTimeout);

        var error = await FailsAsync(lookup);
        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.Contains("wrong id or question", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_AnswerFromAnotherPort_IsNeverBelieved()
    {
        var time = new FakeTimeProvider();
        await using var server = ScriptedDnsServer.Start(
            (id, q, _) => [DnsResponseBuilder.Response(id, q, [TestRecord.A(q.Name, "6.6.6.6")])], replyFromOtherPort: true);
        var lookup = ResolveAsync(Resolver(time, 1, server), "a.test");

        await server.WaitForUdpQueriesAsync(2, HangGuard);
        time.Advance(AttemptTimeout);

        // The socket is connected to the server, so the kernel drops the datagrams from the other port.
        Assert.Equal(HostResolutionFailure.Timeout, (await FailsAsync(lookup)).Failure);
    }

    [Fact]
    public async Task ResolveAsync_FloodOfMismatchedDatagrams_GivesUpAfterLimitWithoutWaitingForTimeout()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            Enumerable.Range(1, DnsLimits.MaxIgnoredDatagramsPerAttempt + 5).Select(i => DnsResponseBuilder.Response((ushort)(id + i), q, [])));

        // The fake clock never moves, so only the datagram limit can end the attempt.
        var error = await FailsAsync(Resolver(server), "a.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.Contains($"sent {DnsLimits.MaxIgnoredDatagramsPerAttempt} unusable messages", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_CompressionPointerPastTheEndOfTheAnswer_IsRefused()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            Enumerable.Repeat(DnsResponseBuilder.AnswerNamedByPointer(id, q, 3000), DnsLimits.MaxIgnoredDatagramsPerAttempt));

        var error = await FailsAsync(Resolver(server), "a.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.Contains("points to 3000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_QueryIdsOnTheWire_AreUnpredictableNotACounter()
    {
        const int names = 128;
        await using var server = ScriptedDnsServer.Answering();
        var resolver = Resolver(server);
        for (var i = 0; i < names; i++)
        {
            await FailsAsync(resolver, $"n{i}.test");
        }

        // The server records a query's id after sending its answer, so the last resolution can end before its id is
        // recorded: wait for every id before reading them.
        await server.WaitForUdpQueriesAsync(2 * names, TimeSpan.FromSeconds(30));
        var ids = server.UdpQueryIds;
        Assert.Equal(2 * names, ids.Count);

        // A counter, or any fixed stride, repeats one step between ids; uniform random ids almost never repeat a step
        // (about 0.5 repeats expected among 255 steps of 65536 possible).
        var steps = ids.Zip(ids.Skip(1), (a, b) => (ushort)(b - a)).ToList();
        Assert.True(steps.Distinct().Count() >= steps.Count - 16, $"only {steps.Distinct().Count()} distinct steps among {steps.Count}");

        // A counter's high bits barely move over 256 ids; random ids set each bit about half the time (128 ± 8 of 256).
        for (var bit = 0; bit < 16; bit++)
        {
            var set = ids.Count(id => (id & (1 << bit)) != 0);
            Assert.InRange(set, 64, 192);
        }

        // A counter's (or a power-of-two LCG's) lowest bit alternates; random ids keep it unchanged about half the time.
        var unchangedLowBit = steps.Count(step => (step & 1) == 0);
        Assert.InRange(unchangedLowBit, 64, 192);
    }

    [Fact]
    public async Task ResolveAsync_TruncatedUdpAnswer_AsksAgainOverTcp()
    {
        await using var server = ScriptedDnsServer.Start((id, q, tcp) =>
            [tcp || q.Type == DnsRecordType.Aaaa
                ? DnsResponseBuilder.Response(id, q, q.Type == DnsRecordType.A ? [TestRecord.A(q.Name, "10.0.0.8"), TestRecord.A(q.Name, "10.0.0.9")] : [])
                : DnsResponseBuilder.Response(id, q, [TestRecord.A(q.Name, "10.0.0.8")], truncated: true)]);

        var resolution = await ResolveAsync(Resolver(server), "a.test");

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

        var resolution = await ResolveAsync(Resolver(server), "a.test");

        Assert.Equal(["a.test", "b.test", "c.other"], resolution.Chain);
        Assert.Equal([IPAddress.Parse("10.0.0.5")], resolution.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(120), resolution.TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_CnameLoop_ThrowsInvalidResponse()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.CName("a.test", "b.test"), TestRecord.CName("b.test", "A.TEST"));

        var error = await FailsAsync(Resolver(server), "a.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.Contains("CNAME loop", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_ChainLongerThanLimitAcrossQueries_ThrowsInvalidResponse()
    {
        // Every name n<k>.test is an alias of n<k+1>.test, one hop per answer, forever.
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            [DnsResponseBuilder.Response(id, q, [TestRecord.CName(q.Name, $"n{int.Parse(q.Name[1..q.Name.IndexOf('.')]) + 1}.test")])]);

        var error = await FailsAsync(Resolver(server), "n0.test");

        Assert.Equal(HostResolutionFailure.InvalidResponse, error.Failure);
        Assert.True(server.UdpQueries <= 2 * (DnsLimits.MaxCnameHops + 1), $"{server.UdpQueries} queries");
    }

    [Fact]
    public async Task ResolveAsync_WithinTtl_AnswersFromCacheWithRemainingTtl()
    {
        var time = new FakeTimeProvider();
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 60));
        var resolver = Resolver(time, 1, server);
        await ResolveAsync(resolver, "a.test");
        var queriesAfterFirst = server.UdpQueries;
        time.Advance(TimeSpan.FromSeconds(45));

        var cached = await ResolveAsync(resolver, "A.Test");

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
        var resolver = Resolver(time, 1, server);
        await ResolveAsync(resolver, "a.test");
        var queriesAfterFirst = server.UdpQueries;
        time.Advance(TimeSpan.FromSeconds(60));

        await ResolveAsync(resolver, "a.test");

        Assert.Equal(2 * queriesAfterFirst, server.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_TtlZero_IsNotCached()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 0));
        var resolver = Resolver(server);

        await ResolveAsync(resolver, "a.test");
        await ResolveAsync(resolver, "a.test");

        Assert.Equal(4, server.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_TtlOverCap_IsCappedAtMaxTimeToLive()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 86_400));

        var resolution = await ResolveAsync(Resolver(server), "a.test");

        Assert.Equal(TimeSpan.FromHours(1), resolution.TimeToLive);
    }

    [Fact]
    public async Task ResolveAsync_ConcurrentLookupsOfOneName_ShareOneSetOfQueries()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7"));
        var resolver = Resolver(server);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ResolveAsync(resolver, "a.test")));

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
        var options = new DnsStubResolverOptions { AttemptTimeout = AttemptTimeout };
        options.Servers.Add(closedEndPoint);
        options.Servers.Add(working.EndPoint);

        // The fake clock never moves, so only the port-unreachable answer can move the lookup on.
        var resolution = await ResolveAsync(new DnsStubResolver(options, new FakeTimeProvider()), "a.test");

        Assert.Equal($"DNS {working.EndPoint}", resolution.Source);
    }

    [Fact]
    public async Task ResolveAsync_CallerCancels_StopsWaiting()
    {
        await using var server = ScriptedDnsServer.Silent();
        using var cancel = new CancellationTokenSource();
        var lookup = Resolver(server).ResolveAsync("a.test", cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup.WaitAsync(HangGuard));
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
