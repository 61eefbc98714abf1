using System.Text.RegularExpressions;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Cli.Tests;

/// <summary><c>secureaoai load</c> against <c>secureaoai host --echo</c> through a real router.</summary>
public sealed partial class LoadCommandTests
{
    [Fact]
    public async Task Load_AgainstEchoHost_ForACountOfRoundTrips_ReportsExactlyThoseWithPercentilesAndNoErrors()
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("echo", ["bench"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#bench"]);
        fabric.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#bench"]);
        await fabric.EnrollAsync("server", "servers");
        await fabric.EnrollAsync("client", "clients");
        using var stopHost = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var hostOutput = new StringWriter();
        var hostError = new StringWriter();
        var host = CliApp.RunAsync(["host", "--identity", fabric.Overlay.PathFor("server.json"), "--service", "echo", "--echo"], hostOutput, hostError, stopHost.Token);
        await WaitForTerminatorAsync(fabric, host, hostError);

        // A count of round trips, not a duration: however busy the machine, the run ends when they are done.
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(
            ["load", "--identity", fabric.Overlay.PathFor("client.json"), "--service", "echo", "--streams", "4", "--round-trips", "200", "--size", "512"], output, error)
            .WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(exitCode == 0, $"load exited {exitCode}: {error}{output}");
        var report = Report().Match(output.ToString());
        Assert.True(report.Success, output.ToString());
        Assert.Equal("200", report.Groups["requests"].Value);
        Assert.True(report.Groups["errors"].Value == "0", $"errors: {error}");
        await stopHost.CancelAsync();
        Assert.Equal(0, await host.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    /// <summary>Waits until the echo host's bind reached the router: an event to poll for, bounded only against a hang.</summary>
    private static async Task WaitForTerminatorAsync(FabricFixture fabric, Task<int> host, StringWriter hostError)
    {
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (fabric.Router.TerminatorCount("echo") == 0)
        {
            Assert.False(host.IsCompleted, $"host exited: {hostError}");
            await Task.Delay(25, hang.Token);
        }
    }

    [Fact]
    public async Task Load_ServiceNobodyBinds_ExitsOneAndSaysWhyEachDialFailed()
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("echo", ["bench"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#bench"]);
        await fabric.EnrollAsync("client", "clients");
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await CliApp.RunAsync(
            ["load", "--identity", fabric.Overlay.PathFor("client.json"), "--service", "echo", "--streams", "2", "--duration", "00:00:01"], output, error)
            .WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(exitCode == CliApp.ProblemFound, $"load exited {exitCode}: {error}{output}");
        Assert.Matches(@"^error: \d+ x OverlayDialException \(NoTerminator\): ", error.ToString());
    }

    [Theory]
    [InlineData("--streams", "0")]
    [InlineData("--size", "0")]
    [InlineData("--duration", "00:00:00")]
    [InlineData("--round-trips", "0")]
    public async Task Load_BadLimits_ExitsTwo(string option, string value)
    {
        var error = new StringWriter();

        var exitCode = await CliApp.RunAsync(["load", "--identity", "x.json", "--service", "echo", option, value], new StringWriter(), error);

        Assert.Equal(2, exitCode);
        Assert.Contains(option, error.ToString(), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"4 stream\(s\) opened in [0-9.]+ s, then (?<requests>\d+) round trips in [0-9.]+ s \(\d+ per s\), [0-9.]+ MiB/s both ways, p50 [0-9.]+ ms, p99 [0-9.]+ ms, errors (?<errors>\d+)")]
    private static partial Regex Report();
}
