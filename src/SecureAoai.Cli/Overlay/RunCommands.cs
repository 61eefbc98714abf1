using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// The long-running commands that carry traffic: <c>host</c> (bind a service, forward to a local TCP
/// address) and <c>tunnel</c> (a local port that dials a service). Each runs until Ctrl+C. The
/// controller and the router are <see cref="ControllerCommand"/> and <see cref="RouterCommand"/>.
/// </summary>
internal static class RunCommands
{
    public static Command Host(TextWriter output, TextWriter error)
    {
        var identity = IdentityOption();
        var service = ServiceOption();
        var forward = CliAddress.Option("--forward", "Where each dial is forwarded, HOST:PORT");
        forward.Required = false;
        var echo = new Option<bool>("--echo") { Description = "Echo every stream back instead of forwarding it (a target for 'secureaoai load')" };
        var command = new Command("host", "Bind a service as an identity and forward each dial to a local TCP address (or --echo).") { identity, service, forward, echo };
        command.Validators.Add(result =>
        {
            if (result.GetValue(echo) == (result.GetResult(forward) is not null))
            {
                result.AddError("Give exactly one of --forward HOST:PORT or --echo.");
            }
        });
        command.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            if (!await IdentityExistsAsync(error, parse.GetValue(identity)!).ConfigureAwait(false))
            {
                return CliApp.UsageError;
            }

            using var loaded = OverlayIdentity.Load(parse.GetValue(identity)!);
            await using var context = OverlayContext.Create(loaded);
            if (parse.GetValue(echo))
            {
                await using var listener = await context.BindAsync(parse.GetValue(service)!, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"'{loaded.Name}' binds '{listener.Service}' and echoes every stream. Ctrl+C stops.").ConfigureAwait(false);
                await EchoAsync(listener, cancellationToken).ConfigureAwait(false);
                return 0;
            }

            var (host, port) = CliAddress.Split(parse.GetValue(forward)!);
            await using var served = await OverlayServiceHost.StartAsync(context, parse.GetValue(service)!, new DnsEndPoint(host, port), NullLogger.Instance, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"'{loaded.Name}' binds '{served.Listener.Service}', forwarding to {host}:{port}. Ctrl+C stops.").ConfigureAwait(false);
            await WaitForStopAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    public static Command Tunnel(TextWriter output, TextWriter error)
    {
        var identity = IdentityOption();
        var service = ServiceOption();
        var listen = CliAddress.Option("--listen", "The local address to listen on, HOST:PORT (keep it on 127.0.0.1)", allowAnyPort: true);
        var command = new Command("tunnel", "Listen on a local port; each connection dials the service as the identity.") { identity, service, listen };
        command.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            if (!await IdentityExistsAsync(error, parse.GetValue(identity)!).ConfigureAwait(false))
            {
                return CliApp.UsageError;
            }

            using var loaded = OverlayIdentity.Load(parse.GetValue(identity)!);
            await using var context = OverlayContext.Create(loaded);
            var (host, port) = CliAddress.Split(parse.GetValue(listen)!);
            await using var tunnel = OverlayTunnel.Start(context, parse.GetValue(service)!, new IPEndPoint(CliAddress.Local(host), port));
            await output.WriteLineAsync($"Tunnel on {tunnel.LocalEndPoint} dials '{tunnel.Service}' as '{loaded.Name}'. Ctrl+C stops.").ConfigureAwait(false);
            await WaitForStopAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static async Task EchoAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            OverlayStream? stream;
            try
            {
                stream = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (stream is null)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                await using var _ = stream;
                var buffer = new byte[64 * 1024];
                try
                {
                    int read;
                    while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }

                    await stream.CompleteWritesAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                    // The caller went away or we are stopping.
                }
            }, CancellationToken.None);
        }
    }

    private static Option<string> IdentityOption() => new("--identity") { Description = "The identity file written by 'overlay enroll'", Required = true };

    private static Option<string> ServiceOption() => new("--service") { Description = "The service's name", Required = true };

    /// <summary>Whether the --identity file exists; when not, writes how to make one.</summary>
    internal static async Task<bool> IdentityExistsAsync(TextWriter error, string path, bool router = false)
    {
        if (File.Exists(path))
        {
            return true;
        }

        await error.WriteLineAsync(CliErrors.MissingIdentityFile(path, router)).ConfigureAwait(false);
        return false;
    }

    internal static async Task WaitForStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the caller disposes everything in order.
        }
    }
}
