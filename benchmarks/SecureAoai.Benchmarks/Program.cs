using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- [--quick] [--filter *Client*]
// --quick: few, short iterations (under 3 minutes for everything); without it, BenchmarkDotNet's defaults.
var quick = args.Contains("--quick");
var rest = args.Where(a => a != "--quick").ToArray();
var job = quick
    ? Job.Default.WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1).WithId("Quick")
    : Job.Default;
var config = DefaultConfig.Instance
    .AddJob(job.AsDefault())
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
