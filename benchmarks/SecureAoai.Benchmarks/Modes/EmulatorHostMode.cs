using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenAI.Chat;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// <c>emulator-host RIGFILE</c>: runs the client benchmarks' emulator in this process until it is
/// stopped (SIGTERM, Ctrl+C, or standard input closing), and writes what a client needs to reach it to
/// RIGFILE; a benchmark run given <c>SECUREAOAI_BENCH_EMULATOR=RIGFILE</c> calls it instead of starting
/// its own (see <see cref="ClientEmulatorRig"/> and benchmarks/client-pipeline.sh).
/// </summary>
internal static class EmulatorHostMode
{
    public const string Command = "emulator-host";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [var rigFile])
        {
            Console.Error.WriteLine($"usage: {Command} RIGFILE");
            return 2;
        }

        var (emulator, description) = await ClientEmulatorRig.StartAsync();
        await using (emulator)
        {
            using var stop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };

            await WarmAsync(description);

            // Written whole under another name, then renamed: a reader never sees half a file.
            var partial = rigFile + ".partial";
            await File.WriteAllTextAsync(partial, JsonSerializer.Serialize(description));
            File.Move(partial, rigFile, overwrite: true);
            Console.WriteLine($"emulator-host: {description.Endpoint} ready, rig in {rigFile}");

            // Standard input closing (its parent gone) stops it too.
            var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
            await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token));
            File.Delete(rigFile);
            File.Delete(description.FederatedTokenFile);
        }

        return 0;
    }

    /// <summary>
    /// Calls made before the rig is handed out, so the server's code is compiled at its final tier
    /// before the first benchmark's first iteration: the benchmark that runs first (the raw client)
    /// would otherwise pay for the server's warm-up in its iterations.
    /// </summary>
    private const int WarmUpCalls = 3000;

    private static async Task WarmAsync(ClientEmulatorRig.Description description)
    {
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(description.CaCertificatePath));
        using var http = ClientPipelineBenchmarks.RawHttpClient(ca);
        var client = ClientPipelineBenchmarks.RawChatClient(new Uri(description.Endpoint), description.RawToken, http);
        List<ChatMessage> messages = [new UserChatMessage("warming up")];
        for (var i = 0; i < WarmUpCalls; i++)
        {
            await client.CompleteChatAsync(messages);
        }
    }
}
