using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Controller;
using Xunit.Abstractions;

namespace SecureAoai.Cli.Tests;

/// <summary>
/// Issue #12's test with routers as real processes: a controller here, three enrolled routers each run as
/// <c>secureaoai router run --identity rN.json</c> in a child process of its own, 200 request streams
/// through tunnels, and one router killed with SIGKILL while they run. Only the streams through the killed
/// router fail; every dial after the kill succeeds; when the router is started again the binder is bound
/// on it again. The times it prints are measurements for the reader, never asserted.
/// </summary>
public sealed class SeveralRoutersProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Routers = 3;
    private const int Streams = 200;
    private const int DialsAfterKill = 20;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(120);
    private readonly List<Process> _processes = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _directory = OverlayFixture.NewTempDirectory();
    private readonly string _routerDirectory = Directory.CreateDirectory(OverlayFixture.NewTempDirectory()).FullName;
    private readonly List<OverlayIdentity> _identities = [];
    private TcpListener? _controllerPort;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RouterProcessKilled_With200StreamsThroughTunnels_OnlyItsStreamsFailEveryNewDialSucceedsAndItsBindComesBack()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var (admin, addresses) = await StartOverlayAsync(cancel.Token);
        var routers = new Process[Routers];
        for (var i = 0; i < Routers; i++)
        {
            routers[i] = await StartRouterProcessAsync(i, cancel.Token);
        }

        var server = Own(OverlayContext.Create(await EnrollAsync(admin, "server", "servers")));
        var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoAsync(listener, cancel.Token);
        Assert.Equal(Routers, listener.BoundRouterCount);

        // The several-router client's choice is the router to kill: its streams are the ones on it.
        var clientIdentity = await EnrollAsync(admin, "client", "clients");
        var client = Own(OverlayContext.Create(clientIdentity));
        string killed;
        await using (var probe = (SealedOverlayStream)await client.DialAsync("echo", cancel.Token))
        {
            killed = probe.Router;
        }

        var killedIndex = Array.IndexOf(addresses, killed);
        var tunnels = new List<(OverlayTunnel Tunnel, string? Router)> { (Own(OverlayTunnel.Start(client, "echo", new IPEndPoint(IPAddress.Loopback, 0))), killed) };
        foreach (var other in addresses.Where(a => a != killed))
        {
            var pinned = Own(OverlayContext.Create(clientIdentity, new OverlayContextOptions { RouterAddress = other }));
            tunnels.Add((Own(OverlayTunnel.Start(pinned, "echo", new IPEndPoint(IPAddress.Loopback, 0))), other));
        }

        var streams = new List<(TcpClient Tcp, string? Router)>();
        for (var n = 0; n < Streams; n++)
        {
            var (tunnel, router) = tunnels[n % tunnels.Count];
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(tunnel.LocalEndPoint, cancel.Token);
            streams.Add((tcp, router));
        }

        await Task.WhenAll(streams.Select(s => RoundTripAsync(s.Tcp, cancel.Token)));

        var watch = Stopwatch.StartNew();
        routers[killedIndex].Kill();
        var firstDial = await NewRequestAsync(tunnels[0].Tunnel, cancel.Token);
        var firstDialAfter = watch.Elapsed;
        var later = new List<bool>();
        for (var n = 0; n < DialsAfterKill; n++)
        {
            later.Add(await NewRequestAsync(tunnels[0].Tunnel, cancel.Token));
        }

        var outcomes = await Task.WhenAll(streams.Select(s => SucceedsAsync(s.Tcp, cancel.Token)));
        output.WriteLine($"SIGKILL of {killed} to the first successful new request through the tunnel: {firstDialAfter.TotalMilliseconds:0.#} ms");

        Assert.True(firstDial, "the first new dial after the kill failed");
        Assert.All(later, Assert.True);
        for (var n = 0; n < streams.Count; n++)
        {
            Assert.True(outcomes[n] == (streams[n].Router != killed), $"stream {n} through {streams[n].Router}: {(outcomes[n] ? "went on" : "failed")}, killed {killed}");
        }

        var back = listener.NextAttachAtAsync(killed);
        routers[killedIndex] = await StartRouterProcessAsync(killedIndex, cancel.Token);
        var returned = Stopwatch.StartNew();
        await back.WaitAsync(cancel.Token);
        output.WriteLine($"binder bound on {killed} again {returned.Elapsed.TotalMilliseconds:0.#} ms after the restarted router printed that it listens");
        Assert.Equal(Routers, listener.BoundRouterCount);

        foreach (var (tcp, _) in streams)
        {
            tcp.Dispose();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _controllerPort?.Stop();
        foreach (var identity in _identities)
        {
            identity.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
        Directory.Delete(_routerDirectory, recursive: true);
    }

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>The controller in this process, the service <c>echo</c> with its policies, and three enrolled routers' identity files.</summary>
    private async Task<(OverlayAdministration Admin, string[] RouterAddresses)> StartOverlayAsync(CancellationToken cancellationToken)
    {
        var port = new TcpListener(IPAddress.Loopback, 0);
        _controllerPort = port;
        port.Start();
        var controller = OverlayController.Initialize(_directory, $"127.0.0.1:{((IPEndPoint)port.LocalEndpoint).Port}");
        var host = Own(OverlayControllerHost.Start(controller, port, new OverlayControllerOptions(), null));
        var admin = host.Administration;
        admin.CreateService("echo", ["demo"]);
        admin.CreateServicePolicy("clients-dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        admin.CreateServicePolicy("servers-bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        var addresses = new string[Routers];
        var taken = new List<int>();
        for (var i = 0; i < Routers; i++)
        {
            admin.CreateRouter($"r{i + 1}", ["edge"]);
            var routerPort = CliScript.FreePortBelowEphemeralRange(taken);
            taken.Add(routerPort);
            addresses[i] = $"127.0.0.1:{routerPort}";
            using var enrolled = await EnrollmentClient.EnrollRouterAsync(admin.CreateRouterEnrollmentToken($"r{i + 1}"), RouterFile(i), addresses[i], cancellationToken);
        }

        return (admin, addresses);
    }

    private string RouterFile(int index) => Path.Combine(_routerDirectory, $"r{index + 1}.json");

    private async Task<OverlayIdentity> EnrollAsync(OverlayAdministration admin, string name, params string[] roles)
    {
        admin.CreateIdentity(name, roles);
        var identity = await EnrollmentClient.EnrollAsync(admin.CreateEnrollmentToken(name), Path.Combine(_directory, name + ".json"));
        _identities.Add(identity);
        return identity;
    }

    /// <summary><c>dotnet secureaoai.dll router run --identity rN.json</c>, returned once it prints that it listens.</summary>
    private async Task<Process> StartRouterProcessAsync(int index, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "secureaoai.dll"), "router", "run", "--identity", RouterFile(index) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        _processes.Add(process);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        var ready = await process.StandardOutput.ReadLineAsync(cancellationToken);
        Assert.True(ready is not null && ready.Contains("listening", StringComparison.Ordinal), $"router r{index + 1} did not start: {(process.HasExited ? await errors : string.Empty)}");
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        return process;
    }

    private static async Task EchoAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        while (await listener.AcceptAsync(cancellationToken) is { } connection)
        {
            _ = Task.Run(
                async () =>
                {
                    await using (connection)
                    {
                        try
                        {
                            await connection.CopyToAsync(connection, cancellationToken);
                            await connection.CompleteWritesAsync();
                        }
                        catch (Exception ex) when (ex is IOException or OperationCanceledException)
                        {
                            // The stream's router was killed: the caller sees it too.
                        }
                    }
                },
                cancellationToken);
        }
    }

    /// <summary>One request and its echoed answer on an open connection.</summary>
    private static async Task RoundTripAsync(TcpClient tcp, CancellationToken cancellationToken)
    {
        var stream = tcp.GetStream();
        var request = "request-0123456789"u8.ToArray();
        await stream.WriteAsync(request, cancellationToken);
        var answer = new byte[request.Length];
        await stream.ReadExactlyAsync(answer, cancellationToken);
        Assert.Equal(request, answer);
    }

    private static async Task<bool> SucceedsAsync(TcpClient tcp, CancellationToken cancellationToken)
    {
        try
        {
            await RoundTripAsync(tcp, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return false;
        }
    }

    /// <summary>A new connection through the tunnel (a new dial) and one request on it.</summary>
    private static async Task<bool> NewRequestAsync(OverlayTunnel tunnel, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(tunnel.LocalEndPoint, cancellationToken);
        return await SucceedsAsync(tcp, cancellationToken);
    }
}
