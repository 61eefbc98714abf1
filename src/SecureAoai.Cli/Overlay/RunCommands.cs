using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// The long-running commands: <c>router run</c> (controller and router in one process),
/// <c>host</c> (bind a service, forward to a local TCP address) and <c>tunnel</c> (a local port
/// that dials a service). Each runs until Ctrl+C.
/// </summary>
internal static class RunCommands
{
    public static Command Router(TextWriter output, TextWriter error)
    {
        var dir = OverlayCommand.DirectoryOption();
        var listen = HostPortOption("--listen", "Where the router listens, HOST:PORT; identities connect out to it");
        var run = new Command("run", "Run the controller (at the address recorded by 'overlay init') and a router on --listen.") { dir, listen };
        run.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            using var controller = OverlayController.Open(parse.GetValue(dir)!);
            var (controllerHost, controllerPort) = Split(controller.ControllerAddress);
            await using var controllerServer = await controller.StartServerAsync(new IPEndPoint(Address(controllerHost), controllerPort), cancellationToken).ConfigureAwait(false);

            var (routerHost, routerPort) = Split(parse.GetValue(listen)!);
            var address = Address(routerHost);
            using var certificate = controller.IssueServerCertificate(
                "router", IPAddress.TryParse(routerHost, out _) ? ["localhost"] : [routerHost, "localhost"], [address, IPAddress.Loopback]);
            using var authority = new ControllerAuthority(controller, "router");
            await using var router = new OverlayRouter(authority, certificate);
            router.Start(new IPEndPoint(address, routerPort));
            controller.RegisterRouter($"{routerHost}:{router.LocalEndPoint.Port}");
            await output.WriteLineAsync($"Controller listening on {controllerServer.EndPoint}").ConfigureAwait(false);
            await output.WriteLineAsync($"Router listening on {router.LocalEndPoint} (mutual TLS, overlay certificates only). Ctrl+C stops both.").ConfigureAwait(false);
            await WaitForStopAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return new Command("router", "Run the overlay's router.") { run };
    }

    public static Command Host(TextWriter output, TextWriter error)
    {
        var identity = IdentityOption();
        var service = ServiceOption();
        var forward = HostPortOption("--forward", "Where each dial is forwarded, HOST:PORT");
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
            using var loaded = OverlayIdentity.Load(parse.GetValue(identity)!);
            await using var context = OverlayContext.Create(loaded);
            if (parse.GetValue(echo))
            {
                await using var listener = await context.BindAsync(parse.GetValue(service)!, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"'{loaded.Name}' binds '{listener.Service}' and echoes every stream. Ctrl+C stops.").ConfigureAwait(false);
                await EchoAsync(listener, cancellationToken).ConfigureAwait(false);
                return 0;
            }

            var (host, port) = Split(parse.GetValue(forward)!);
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
        var listen = HostPortOption("--listen", "The local address to listen on, HOST:PORT (keep it on 127.0.0.1)");
        var command = new Command("tunnel", "Listen on a local port; each connection dials the service as the identity.") { identity, service, listen };
        command.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            using var loaded = OverlayIdentity.Load(parse.GetValue(identity)!);
            await using var context = OverlayContext.Create(loaded);
            var (host, port) = Split(parse.GetValue(listen)!);
            await using var tunnel = OverlayTunnel.Start(context, parse.GetValue(service)!, new IPEndPoint(Address(host), port));
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

    private static Option<string> HostPortOption(string name, string description) => new(name)
    {
        Description = description,
        Required = true,
        Validators = { result => OverlayCommand.Check(result, "is not HOST:PORT, such as 127.0.0.1:7000") },
    };

    /// <summary>HOST:PORT, already checked by the option's validator (or recorded by 'overlay init').</summary>
    private static (string Host, int Port) Split(string value) =>
        HostPort.TryParse(value, out var host, out var port) ? (host, port) : throw new ArgumentException($"'{value}' is not HOST:PORT.");

    private static IPAddress Address(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : host == "localhost" ? IPAddress.Loopback
        : throw new ArgumentException($"'{host}' is not an IP address or localhost; listen on an address of this machine.");

    private static async Task WaitForStopAsync(CancellationToken cancellationToken)
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
