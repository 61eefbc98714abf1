using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// <c>secureaoai router enroll</c> (a router gets its own identity) and <c>secureaoai router run</c>:
/// with <c>--identity</c>, an enrolled router that asks its controller over mutual TLS and holds no
/// CA key; with <c>--dir</c>, the one-process shortcut, the controller and a router beside it.
/// </summary>
internal static class RouterCommand
{
    public static Command Create(TextWriter output, TextWriter error) => new("router", "Enroll and run the overlay's routers.")
    {
        RunCommand(output, error),
        EnrollCommand(output, error),
    };

    private static Command RunCommand(TextWriter output, TextWriter error)
    {
        var identity = new Option<string>("--identity") { Description = "The router's identity file, written by 'secureaoai router enroll'; the router listens where it enrolled for" };
        var dir = new Option<string>("--dir") { Description = "One process instead: run the controller of this overlay directory and a router beside it (needs --listen)" };
        var listen = CliAddress.Option("--listen", "Where the router listens, HOST:PORT; identities connect out to it (with --identity, by default where it enrolled for)", allowAnyPort: true);
        listen.Required = false;
        var run = new Command("run", "Run a router: an enrolled one (--identity), or the controller and a router in one process (--dir, --listen). Ctrl+C stops it.") { identity, dir, listen };
        run.Validators.Add(result =>
        {
            if ((result.GetResult(identity) is null) == (result.GetResult(dir) is null))
            {
                result.AddError("Give exactly one of --identity FILE (an enrolled router) or --dir DIR (the controller and a router in one process).");
            }
            else if (result.GetResult(dir) is not null && result.GetResult(listen) is null)
            {
                result.AddError("--dir needs --listen HOST:PORT: where the router beside the controller listens.");
            }
        });
        run.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            if (parse.GetValue(identity) is { } file)
            {
                if (!await RunCommands.IdentityExistsAsync(error, file, router: true).ConfigureAwait(false))
                {
                    return CliApp.UsageError;
                }

                await using var router = new OverlayRouterHost(new OverlayRouterHostOptions { IdentityFile = file, ListenAddress = parse.GetValue(listen) });
                await router.StartAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"Router '{router.Name}' listening on {router.EndPoint}, reached at {router.Address} (mutual TLS, overlay certificates only). Ctrl+C stops it.").ConfigureAwait(false);
                await RunCommands.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }

            await using var controller = new OverlayControllerHost(new OverlayControllerOptions { Directory = parse.GetValue(dir) });
            await controller.StartAsync(cancellationToken).ConfigureAwait(false);
            await using var beside = new OverlayRouterHost(new OverlayRouterHostOptions { Controller = controller, ListenAddress = parse.GetValue(listen) });
            await beside.StartAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Controller listening on {controller.EndPoint}").ConfigureAwait(false);
            await output.WriteLineAsync($"Router '{beside.Name}' listening on {beside.EndPoint} (mutual TLS, overlay certificates only). Ctrl+C stops both.").ConfigureAwait(false);
            await RunCommands.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return run;
    }

    private static Command EnrollCommand(TextWriter output, TextWriter error)
    {
        var jwt = new Option<FileInfo>("--jwt") { Description = "The router's one-time token file from 'overlay router create'", Required = true };
        var outPath = OverlayCommand.OutOption("Where to write the router's identity file (mode 0600); must not exist");
        var listen = CliAddress.Option("--listen", "Where the router will listen and identities reach it, HOST:PORT; its certificate names this host");
        var command = new Command("enroll", "Enroll a router: make its key here, get a server certificate for --listen from the controller, write its identity file.") { jwt, outPath, listen };
        command.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            var (token, path) = (parse.GetValue(jwt)!, parse.GetValue(outPath)!);
            if (await OverlayCommand.ReadTokenAsync(error, token, "router", cancellationToken).ConfigureAwait(false) is not { } text)
            {
                return CliApp.UsageError;
            }

            if (File.Exists(path))
            {
                return await OverlayCommand.RefuseExistingAsync(error, path).ConfigureAwait(false);
            }

            try
            {
                using var router = await EnrollmentClient.EnrollRouterAsync(text, path, parse.GetValue(listen)!, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(
                    $"Enrolled router '{router.Name}' with {router.ControllerAddress} for {router.ListenAddress}; identity file {path} (mode 0600). Run it: 'secureaoai router run --identity {path}'. Delete {token.Name}: it cannot be used again.").ConfigureAwait(false);
                return 0;
            }
            catch (OverlayEnrollmentException ex)
            {
                await error.WriteLineAsync(CliErrors.Describe(ex, token.Name, enrollingRouter: true)).ConfigureAwait(false);
                return CliApp.ProblemFound;
            }
        }));
        return command;
    }
}
