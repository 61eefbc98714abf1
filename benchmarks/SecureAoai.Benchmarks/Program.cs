using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using SecureAoai.Benchmarks;
using SecureAoai.Benchmarks.Modes;
using SecureAoai.Benchmarks.Soak;

// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- [--quick] [--filter *Client*] [--json FILE] [--label TEXT]
//   --quick: in this process, 1 warm-up and 5 iterations aimed at 100 ms each, and smaller throughput
//   runs (4 MiB over 1, 16 and 64 streams instead of 16 MiB over 1, 16 and 256; see BenchmarkScale), so
//   everything stays under 3 minutes. Without it: a process per benchmark, BenchmarkDotNet's default
//   iterations and the sizes.
// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- latency|idle-streams|allocations [--json FILE] (see Modes/)
// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- profile-loop dial|rtt64|rtt4096|http [--transport overlay|tls-relay|tls] [--seconds 20]: one operation in a loop, for dotnet-trace (see ProfileLoopMode).
// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- emulator-host RIGFILE: the client benchmarks' emulator in a process of its own (see benchmarks/client-pipeline.sh).
// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- soak [--frames 1000000] (see RouterSoak)
// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- pipeline-probe [--blocking | --stub]: a diagnostic of the client pipeline, layer by layer (see PipelineProbe).
// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- --scenario stream-cuts [REQUESTS]: a count, not a timing.
if (args is ["--scenario", "stream-cuts", ..])
{
    return await SecureAoai.Benchmarks.StreamCutScenario.RunAsync(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2000);
}

if (args is [LatencyMode.Command, .. var latencyArgs])
{
    return await LatencyMode.RunAsync(latencyArgs);
}

if (args is [IdleStreamsMode.Command, .. var idleArgs])
{
    return await IdleStreamsMode.RunAsync(idleArgs);
}

if (args is [AllocationMode.Command, .. var allocationArgs])
{
    return await AllocationMode.RunAsync(allocationArgs);
}

if (args is [ProfileLoopMode.Command, .. var loopArgs])
{
    return await ProfileLoopMode.RunAsync(loopArgs);
}

if (args is [EmulatorHostMode.Command, .. var hostArgs])
{
    return await EmulatorHostMode.RunAsync(hostArgs);
}

if (args is [PipelineProbe.Command, .. var probeArgs])
{
    return await PipelineProbe.RunAsync(probeArgs);
}

if (args is ["soak", .. var soakArgs])
{
    return await RouterSoak.RunAsync(soakArgs);
}

if (args is [SoakRouterProcess.Command, var overlayDirectory])
{
    return await SoakRouterProcess.RunAsync(overlayDirectory);
}

if (args is [SoakAttackProcess.Command, .. var attackArgs])
{
    return await SoakAttackProcess.RunAsync(attackArgs);
}

// --quick: few, short iterations and smaller transfers (under 3 minutes for everything); without it, BenchmarkDotNet's defaults.
var quick = args.Contains("--quick");
BenchmarkScale.Quick = quick;
var rest = Arguments.WithoutResultOptions([.. args.Where(a => a != "--quick")]);
// Quick runs in this process (no separate process per benchmark) so all of it fits in 3 minutes.
var job = quick
    ? Job.Default.WithWarmupCount(1).WithIterationCount(5).WithIterationTime(TimeInterval.FromMilliseconds(100)).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance).WithId("Quick")
    : Job.Default;
// The full JSON export carries each benchmark's median, mean and confidence interval, which
// benchmarks/full_results.py turns into the results' ratio table.
var config = DefaultConfig.Instance
    .AddExporter(BenchmarkDotNet.Exporters.Json.JsonExporter.Full)
    .AddJob(job.AsDefault())
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.JoinSummary);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
BenchmarkRunResults.Record(summaries, ResultsFile.Open(args), quick ? "quick" : "full");
return 0;
