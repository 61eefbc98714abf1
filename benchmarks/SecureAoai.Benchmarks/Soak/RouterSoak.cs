using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Soak;

namespace SecureAoai.Benchmarks.Soak;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- soak [--frames 1000000]
/// [--attackers 8] [--honest 4] [--baseline-seconds 10] [--seed 20261123]</c>: honest clients echo
/// through a router first alone, then while an authenticated identity sends it mutated frames over
/// many live sessions. The router and the attacker each run in a child process of their own; this
/// one runs the binder and the honest clients. Prints the honest clients' p50/p99 in both phases and
/// the router's peak memory. Exits 1 if an honest round trip failed or an attacker connection was left open.
/// </summary>
internal static class RouterSoak
{
    private const int MessageBytes = 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var frames = Argument(args, "--frames", 1_000_000L);
        var attackers = (int)Argument(args, "--attackers", 8L);
        var honestClients = (int)Argument(args, "--honest", 4L);
        var baseline = TimeSpan.FromSeconds(Argument(args, "--baseline-seconds", 10L));
        var seed = (int)Argument(args, "--seed", 20261123L);
        var directory = Path.Combine(Path.GetTempPath(), "secureaoai-soak-" + Guid.NewGuid().ToString("N"));
        try
        {
            return await RunAsync(directory, frames, attackers, honestClients, baseline, seed);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> RunAsync(string directory, long frames, int attackers, int honestClients, TimeSpan baseline, int seed)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var controller = OverlayController.Initialize(directory, $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        await using var controllerServer = controller.StartServer(listener);
        controller.CreateService("echo", ["soak"]);
        controller.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#soak"]);
        controller.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#soak"]);
        var identities = new List<OverlayIdentity>();
        try
        {
            var binderIdentity = await EnrollAsync(controller, directory, "binder", "servers", identities);
            await EnrollAsync(controller, directory, "mallory", "clients", identities);
            var honestIdentities = new List<OverlayIdentity>();
            for (var i = 0; i < honestClients; i++)
            {
                honestIdentities.Add(await EnrollAsync(controller, directory, $"honest-{i}", "clients", identities));
            }

            using var router = StartChild(SoakRouterProcess.Command, directory);
            var port = int.Parse((await router.StandardOutput.ReadLineAsync())!.Split(' ')[1], CultureInfo.InvariantCulture);
            var options = new OverlayContextOptions { RouterAddress = $"127.0.0.1:{port}" };
            await using var binder = OverlayContext.Create(binderIdentity, options);
            using var stop = new CancellationTokenSource();
            var echo = TransportRig.EchoEachAsync(await binder.BindAsync("echo"), stop.Token);
            var clients = honestIdentities.Select(identity => OverlayContext.Create(identity, options)).ToList();
            try
            {
                var clock = Stopwatch.StartNew();
                var quiet = await MeasureAsync(router, async () =>
                {
                    var load = EchoLoad.Start(clients, "echo", MessageBytes, stop.Token);
                    await load.Ready;
                    await Task.Delay(baseline);
                    return (await load.StopAsync(), (MutatedFrameAttack.Report?)null);
                });
                var attacked = await MeasureAsync(router, async () =>
                {
                    var load = EchoLoad.Start(clients, "echo", MessageBytes, stop.Token);
                    await load.Ready;
                    var attack = await AttackAsync(Path.Combine(directory, "mallory.json"), port, frames, attackers, seed);
                    return (await load.StopAsync(), attack);
                });
                Print(quiet, attacked, attackers, honestClients, clock.Elapsed);
                return attacked.Honest.Errors == 0 && attacked.Attack!.ClosedByRouter == attacked.Attack.Connections ? 0 : 1;
            }
            finally
            {
                await stop.CancelAsync();
                foreach (var client in clients)
                {
                    await client.DisposeAsync();
                }

                await echo;
                router.StandardInput.Close();
                await router.WaitForExitAsync();
            }
        }
        finally
        {
            foreach (var identity in identities)
            {
                identity.Dispose();
            }
        }
    }

    private static async Task<OverlayIdentity> EnrollAsync(OverlayController controller, string directory, string name, string role, List<OverlayIdentity> identities)
    {
        controller.CreateIdentity(name, [role]);
        var identity = await EnrollmentClient.EnrollAsync(controller.CreateEnrollmentToken(name), Path.Combine(directory, name + ".json"));
        identities.Add(identity);
        return identity;
    }

    /// <summary>Runs the attack in its own process and reads its report.</summary>
    private static async Task<MutatedFrameAttack.Report> AttackAsync(string identityFile, int port, long frames, int attackers, int seed)
    {
        using var attacker = StartChild(
            SoakAttackProcess.Command, identityFile, Text(port), Text(frames), Text(attackers), Text(seed), Text(new Overlay.Protocol.MuxOptions().MaxFramePayloadBytes));
        var line = await attacker.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The attacker process ended without a report.");
        await attacker.WaitForExitAsync();
        var parts = line.Split(' ');
        return new MutatedFrameAttack.Report(long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture), int.Parse(parts[3], CultureInfo.InvariantCulture));
    }

    /// <summary>This program again, as a child process with <paramref name="arguments"/> (see <see cref="SoakRouterProcess"/>, <see cref="SoakAttackProcess"/>).</summary>
    private static Process StartChild(params string[] arguments)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<Phase> MeasureAsync(Process router, Func<Task<(EchoLoad.Report Honest, MutatedFrameAttack.Report? Attack)>> run)
    {
        await router.StandardInput.WriteLineAsync("RESET");
        var clock = Stopwatch.StartNew();
        var (honest, attack) = await run();
        var elapsed = clock.Elapsed;
        await router.StandardInput.WriteLineAsync("STATS");
        var stats = (await router.StandardOutput.ReadLineAsync())!.Split(' ');
        return new Phase(honest, attack, elapsed, long.Parse(stats[1], CultureInfo.InvariantCulture), long.Parse(stats[2], CultureInfo.InvariantCulture));
    }

    private static void Print(Phase quiet, Phase attacked, int attackers, int honestClients, TimeSpan total)
    {
        var attack = attacked.Attack!;
        var ratio = attacked.Honest.P99Milliseconds / quiet.Honest.P99Milliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""
            Router soak ({{total.TotalSeconds:0}} s in all)
              attack: {{attack.Frames:N0}} mutated frames on {{attack.Connections:N0}} authenticated connections ({{attackers}} at a time) in {{attacked.Elapsed.TotalSeconds:0.0}} s; disconnected by the router: {{attack.ClosedByRouter:N0}} of {{attack.Connections:N0}}
              honest clients ({{honestClients}}, {{MessageBytes}} B echo, a new dial every {{EchoLoad.RoundTripsPerDial}} round trips):
                alone:        {{quiet.Honest.RoundTrips:N0}} round trips in {{quiet.Elapsed.TotalSeconds:0.0}} s, p50 {{quiet.Honest.P50Milliseconds:0.000}} ms, p99 {{quiet.Honest.P99Milliseconds:0.000}} ms, errors {{quiet.Honest.Errors}}
                under attack: {{attacked.Honest.RoundTrips:N0}} round trips in {{attacked.Elapsed.TotalSeconds:0.0}} s, p50 {{attacked.Honest.P50Milliseconds:0.000}} ms, p99 {{attacked.Honest.P99Milliseconds:0.000}} ms, errors {{attacked.Honest.Errors}}
                p99 under attack / alone: {{ratio:0.00}}x (goal: at most 2x, {{(ratio <= 2 ? "met" : "not met")}})
              router process (alone in it): peak working set {{Mebibytes(quiet.PeakWorkingSetBytes)}} alone, {{Mebibytes(attacked.PeakWorkingSetBytes)}} under attack; peak managed heap {{Mebibytes(quiet.PeakHeapBytes)}} alone, {{Mebibytes(attacked.PeakHeapBytes)}} under attack
            """));
    }

    private static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB");

    private static long Argument(string[] args, string name, long fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? long.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record Phase(EchoLoad.Report Honest, MutatedFrameAttack.Report? Attack, TimeSpan Elapsed, long PeakWorkingSetBytes, long PeakHeapBytes);
}
