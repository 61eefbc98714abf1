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
/// [--frames-per-connection 256] [--attackers 8] [--honest 4] [--baseline-seconds 30] [--seed 20261123]</c>:
/// honest clients echo through a router alone, then while an authenticated identity sends it mutated
/// frames over many live sessions, then alone again (the baseline is both quiet phases). The router
/// and the attacker each run in a child process of their own; this one runs the binder and the honest
/// clients. Prints the honest clients' p50/p99 in each phase and the router's peak memory. Exits 1 if
/// an honest round trip failed or an attacker connection was left open.
/// </summary>
internal static class RouterSoak
{
    private const int MessageBytes = 1024;
    private const int Before = 0;
    private const int UnderAttack = 1;
    private const int After = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var frames = Argument(args, "--frames", 1_000_000L);
        var framesPerConnection = (int)Argument(args, "--frames-per-connection", 256L);
        var attackers = (int)Argument(args, "--attackers", 8L);
        var honestClients = (int)Argument(args, "--honest", 4L);
        var baseline = TimeSpan.FromSeconds(Argument(args, "--baseline-seconds", 30L));
        var seed = (int)Argument(args, "--seed", 20261123L);
        var directory = Path.Combine(Path.GetTempPath(), "secureaoai-soak-" + Guid.NewGuid().ToString("N"));
        try
        {
            return await RunAsync(directory, new AttackSettings(frames, framesPerConnection, attackers, seed), honestClients, baseline);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> RunAsync(string directory, AttackSettings attack, int honestClients, TimeSpan baseline)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var controller = OverlayController.Initialize(directory, $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        await using var controllerServer = controller.StartServer(listener);
        controller.Administration.CreateService("echo", ["soak"]);
        controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#soak"]);
        controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#soak"]);
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

                // One continuous honest load, labelled by phase: alone, under attack, alone again. The two
                // quiet phases around the attack together are the baseline, so load that drifts on a shared
                // machine weighs on both sides of the comparison.
                var load = EchoLoad.Start(clients, "echo", MessageBytes, stop.Token);
                await load.Ready;
                var before = await PhaseAsync(router, load, Before, () => Task.Delay(baseline));
                MutatedFrameAttack.Report? report = null;
                var during = await PhaseAsync(router, load, UnderAttack, async () => report = await AttackAsync(Path.Combine(directory, "mallory.json"), port, attack));
                var after = await PhaseAsync(router, load, After, () => Task.Delay(baseline));
                await load.StopAsync();
                Print(load, report!, [before, during, after], attack, honestClients, clock.Elapsed);
                return load.ReportOf().Errors == 0 && report!.ClosedByRouter == report.Connections ? 0 : 1;
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
        controller.Administration.CreateIdentity(name, [role]);
        var identity = await EnrollmentClient.EnrollAsync(controller.Administration.CreateEnrollmentToken(name), Path.Combine(directory, name + ".json"));
        identities.Add(identity);
        return identity;
    }

    /// <summary>Runs the attack in its own process and reads its report.</summary>
    private static async Task<MutatedFrameAttack.Report> AttackAsync(string identityFile, int port, AttackSettings attack)
    {
        using var attacker = StartChild(
            SoakAttackProcess.Command,
            identityFile,
            Text(port),
            Text(attack.Frames),
            Text(attack.FramesPerConnection),
            Text(attack.Concurrency),
            Text(attack.Seed),
            Text(new Overlay.Protocol.MuxOptions().MaxFramePayloadBytes));
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

    /// <summary>Runs one phase: labels the honest load with it and reads the router's peaks over it.</summary>
    private static async Task<Phase> PhaseAsync(Process router, EchoLoad load, int phase, Func<Task> run)
    {
        load.Phase = phase;
        await router.StandardInput.WriteLineAsync("RESET");
        var clock = Stopwatch.StartNew();
        await run();
        var elapsed = clock.Elapsed;
        await router.StandardInput.WriteLineAsync("STATS");
        var stats = (await router.StandardOutput.ReadLineAsync())!.Split(' ');
        return new Phase(elapsed, long.Parse(stats[1], CultureInfo.InvariantCulture), long.Parse(stats[2], CultureInfo.InvariantCulture));
    }

    private static void Print(EchoLoad load, MutatedFrameAttack.Report attack, Phase[] phases, AttackSettings settings, int honestClients, TimeSpan total)
    {
        var alone = load.ReportOf(Before, After);
        var attacked = load.ReportOf(UnderAttack);
        var ratio = attacked.P99Milliseconds / alone.P99Milliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""
            Router soak ({{total.TotalSeconds:0}} s in all)
              attack: {{attack.Frames:N0}} mutated frames on {{attack.Connections:N0}} authenticated connections ({{settings.FramesPerConnection}} frames each, {{settings.Concurrency}} at a time) in {{phases[UnderAttack].Elapsed.TotalSeconds:0.0}} s; disconnected by the router: {{attack.ClosedByRouter:N0}} of {{attack.Connections:N0}}
              honest clients ({{honestClients}}, {{MessageBytes}} B echo, a new dial every {{EchoLoad.RoundTripsPerDial}} round trips):
                {{Line("alone, before", load.ReportOf(Before), phases[Before])}}
                {{Line("under attack", attacked, phases[UnderAttack])}}
                {{Line("alone, after", load.ReportOf(After), phases[After])}}
                alone (before and after): p50 {{alone.P50Milliseconds:0.000}} ms, p99 {{alone.P99Milliseconds:0.000}} ms
                p99 under attack / alone: {{ratio:0.00}}x (goal: at most 2x, {{(ratio <= 2 ? "met" : "not met")}})
              router process (alone in it), peak working set / peak managed heap: {{Memory(phases[Before])}} alone before, {{Memory(phases[UnderAttack])}} under attack, {{Memory(phases[After])}} alone after
            """));
    }

    private static string Line(string name, EchoLoad.Report report, Phase phase) => string.Create(
        CultureInfo.InvariantCulture,
        $"{name + ":",-15} {report.RoundTrips:N0} round trips in {phase.Elapsed.TotalSeconds:0.0} s, p50 {report.P50Milliseconds:0.000} ms, p99 {report.P99Milliseconds:0.000} ms, errors {report.Errors}");

    private static string Memory(Phase phase) => $"{Mebibytes(phase.PeakWorkingSetBytes)} / {Mebibytes(phase.PeakHeapBytes)}";

    private static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB");

    private static long Argument(string[] args, string name, long fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? long.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record Phase(TimeSpan Elapsed, long PeakWorkingSetBytes, long PeakHeapBytes);

    private sealed record AttackSettings(long Frames, int FramesPerConnection, int Concurrency, int Seed);
}
