// The quick start: everything on one machine, offline, nothing listening but loopback tunnels.
//   - an Azure OpenAI emulator with two regions (eastus throttled, so failover shows),
//   - an embedded overlay (a controller and two routers in this process, identities enrolled into a folder),
//   - ChatApp and DocApp hosted dark (no TCP port), calling the emulator through AddSecureOpenAI
//     with a managed identity and failover between the regions; they reach westus over the overlay
//     (UseOverlay: the service 'aoai-westus', which a gateway identity forwards to the region),
//   - a tunnel on 127.0.0.1 for each app, dialing it as the identity "browser".
//
//   dotnet run --project samples/QuickStart [-- --smoke] [--identity imds|appservice|workload]
//
// In a terminal it runs until Ctrl+C. With --smoke, or without a terminal (CI), it runs a scripted
// conversation through the tunnels, stopping one router mid-way, and exits 0 on success.
using QuickStart;

var identity = Arguments.Value(args, "--identity") ?? "imds";
if (identity is not ("imds" or "appservice" or "workload"))
{
    Console.Error.WriteLine($"Unknown --identity '{identity}'. Use imds, appservice or workload.");
    return 2;
}

var smoke = args.Contains("--smoke") || Console.IsInputRedirected;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var stack = new QuickStartStack(identity, Console.Out);
try
{
    await stack.StartAsync(stop.Token);
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    Console.Error.WriteLine($"Quick start failed to start: {ex.Message}");
    return 1;
}

if (smoke)
{
    var passed = await Smoke.RunAsync(stack.ChatUrl, stack.DocUrl, stack.StopOneRouterAsync, Console.Out, stop.Token);
    Console.WriteLine(passed ? "Quick start finished: the apps answered through the overlay with an Entra ID token, no API key, no open port." : "Quick start smoke run FAILED.");
    return passed ? 0 : 1;
}

Console.WriteLine("Open the URLs above in a browser. Ctrl+C stops everything.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine("Stopping...");
}

return 0;
