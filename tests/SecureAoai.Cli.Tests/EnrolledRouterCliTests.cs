using System.Text.RegularExpressions;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Tests;

/// <summary>
/// The six command lines of issue #12 (an overlay, its controller alone, an enrolled router in a process of
/// its own, a router policy), exactly as the issue and docs/overlay.md write them, run through the CLI's
/// entry point in a scratch folder; then a service is bound and dialed through that router. The only
/// substitution: the two documented ports become ports picked free for this run.
/// </summary>
[Collection(CurrentDirectoryTests.Name)]
public sealed partial class EnrolledRouterCliTests
{
    /// <summary>The lines as issue #12 writes them; docs/overlay.md must show the same.</summary>
    private static readonly string[] IssueLines =
    [
        "secureaoai overlay init --dir ./overlay --controller 127.0.0.1:47262",
        "secureaoai controller run --dir ./overlay                      # the controller alone, at the init address",
        "secureaoai overlay router create r1 --roles edge --dir ./overlay --out r1.jwt",
        "secureaoai router enroll --jwt r1.jwt --out r1.json --listen 127.0.0.1:47263",
        "secureaoai router run --identity r1.json                       # listens where it enrolled for",
        "secureaoai overlay policy create all-routers --type Router --identity-roles '#all' --router-roles '#edge' --dir ./overlay",
    ];

    /// <summary>The commands that keep running until Ctrl+C.</summary>
    private static readonly string[] LongRunning = ["secureaoai controller run", "secureaoai router run"];

    /// <summary>Only a guard against a hang: every wait below ends on an event long before.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task IssueLines_AsWritten_RunAControllerAndAnEnrolledRouterThatRelaysADial()
    {
        Assert.Equal(IssueLines, CliScript.DocBashBlock("## Enrolled routers"));
        var controllerPort = CliScript.FreePortBelowEphemeralRange([]);
        var routerPort = CliScript.FreePortBelowEphemeralRange([controllerPort]);
        var scratch = Directory.CreateTempSubdirectory("secureaoai-routers-");
        var previous = Environment.CurrentDirectory;
        using var stop = new CancellationTokenSource(HangGuard);
        var background = new List<(string Line, Task<int> Run, CliScript.LineWriter Error, CancellationTokenSource Stop)>();
        Environment.CurrentDirectory = scratch.FullName;
        try
        {
            foreach (var documented in IssueLines)
            {
                var line = Comment().Replace(documented, string.Empty).Replace("127.0.0.1:47262", $"127.0.0.1:{controllerPort}", StringComparison.Ordinal).Replace("127.0.0.1:47263", $"127.0.0.1:{routerPort}", StringComparison.Ordinal);
                var (run, output, error, own) = Start(line, stop.Token);
                if (LongRunning.Any(prefix => line.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    background.Add((line, run, error, own));
                    await CliScript.WaitUntilReadyAsync(line, run, output, error, stop.Token);
                    continue;
                }

                var exitCode = await run;
                own.Dispose();
                Assert.True(exitCode == 0, $"'{line}' exited {exitCode}: {error}");
                Assert.DoesNotContain("PRIVATE KEY", output.ToString(), StringComparison.Ordinal);
            }

            await DialThroughTheRouterAsync(routerPort, stop.Token);
        }
        finally
        {
            await CliScript.StopAllAsync(background);

            Environment.CurrentDirectory = previous;
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>A service, its policies and two identities made with the CLI; then the SDK binds and dials it, finding the router from the controller.</summary>
    private static async Task DialThroughTheRouterAsync(int routerPort, CancellationToken cancellationToken)
    {
        string[] setup =
        [
            "overlay service create echo --roles demo --dir ./overlay",
            "overlay policy create clients-dial --type Dial --identity-roles #clients --service-roles #demo --dir ./overlay",
            "overlay policy create servers-bind --type Bind --identity-roles #servers --service-roles #demo --dir ./overlay",
            "overlay identity create server --roles servers --dir ./overlay --out server.jwt",
            "overlay identity create laptop --roles clients --dir ./overlay --out laptop.jwt",
            "overlay enroll --jwt server.jwt --out server.json",
            "overlay enroll --jwt laptop.jwt --out laptop.json",
        ];
        foreach (var line in setup)
        {
            var (run, _, error, own) = Start("secureaoai " + line, cancellationToken);
            var exitCode = await run;
            own.Dispose();
            Assert.True(exitCode == 0, $"'{line}' exited {exitCode}: {error}");
        }

        var routers = new CliScript.LineWriter();
        Assert.Equal(0, await CliApp.RunAsync(["overlay", "list", "routers", "--dir", "./overlay"], routers, new CliScript.LineWriter(), cancellationToken));
        Assert.Matches($@"r1\s+#edge\s+enrolled\s+127\.0\.0\.1:{routerPort}", routers.ToString());

        await using var server = OverlayContext.FromIdentityFile("server.json");
        await using var laptop = OverlayContext.FromIdentityFile("laptop.json");
        await using var listener = await server.BindAsync("echo", cancellationToken);
        var served = ServeOnceAsync(listener, cancellationToken);
        await using var stream = await laptop.DialAsync("echo", cancellationToken);
        await stream.WriteAsync("through r1"u8.ToArray(), cancellationToken);
        await stream.CompleteWritesAsync();
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cancellationToken);

        Assert.Equal("through r1", System.Text.Encoding.UTF8.GetString(answer.ToArray()));
        Assert.Equal("laptop", await served);
    }

    /// <summary>Echoes one dial and returns the dialer's identity.</summary>
    private static async Task<string> ServeOnceAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        await using var connection = await listener.AcceptAsync(cancellationToken)
            ?? throw new InvalidOperationException("The listener was unbound before the dial arrived.");
        await connection.CopyToAsync(connection, cancellationToken);
        await connection.CompleteWritesAsync();
        return connection.Peer.Name;
    }

    private static (Task<int> Run, CliScript.LineWriter Output, CliScript.LineWriter Error, CancellationTokenSource Stop) Start(string line, CancellationToken cancellationToken)
    {
        var output = new CliScript.LineWriter();
        var error = new CliScript.LineWriter();
        var own = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var args = CliScript.Tokenize(line.Trim()).Skip(1).ToArray();
        return (CliApp.RunAsync(args, output, error, own.Token), output, error, own);
    }

    /// <summary>A shell comment: a <c>#</c> after blanks, with a blank after it (a quoted <c>'#all'</c> is not one).</summary>
    [GeneratedRegex(@"\s+#\s.*$")]
    private static partial Regex Comment();
}
