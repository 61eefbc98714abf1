using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai controller run</c>: the controller alone, for routers enrolled elsewhere.</summary>
internal static class ControllerCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var dir = OverlayCommand.DirectoryOption();
        var listen = CliAddress.Option("--listen", "Where to listen, HOST:PORT; by default the address 'overlay init' recorded, which tokens name", allowAnyPort: true);
        listen.Required = false;
        var run = new Command("run", "Run the controller of an overlay directory: enrollment, sessions, and the questions enrolled routers ask. Ctrl+C stops it.") { dir, listen };
        run.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            await using var controller = new OverlayControllerHost(new OverlayControllerOptions { Directory = parse.GetValue(dir), ListenAddress = parse.GetValue(listen) });
            await controller.StartAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Controller listening on {controller.EndPoint} (mutual TLS for routers and enrolled identities). Ctrl+C stops it.").ConfigureAwait(false);
            await RunCommands.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return new Command("controller", "Run the overlay's controller.") { run };
    }
}
