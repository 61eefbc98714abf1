using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureAoai.Cli.Tests;

/// <summary>
/// Runs the walkthrough of docs/overlay.md line by line, exactly as written, in a scratch folder, with
/// one substitution: every <c>127.0.0.1:PORT</c> in it names a port picked for this run (the same
/// documented port always the same picked one), since a fixed port may be taken on a machine running
/// other tests. The app's port (the <c>--forward</c> target) is the test app's own; the others are free
/// ports below the ephemeral range, which the OS never hands out by itself.
/// </summary>
[Collection(CurrentDirectoryTests.Name)]
public sealed partial class OverlayWalkthroughTests
{
    /// <summary>Only a guard against a hang: every wait below ends on an event long before.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Walkthrough_AsWrittenInDocs_TunnelReachesTheAppThroughTheOverlay()
    {
        var documented = CliScript.DocBashBlock("## Walkthrough");
        Assert.Contains(documented, l => l.StartsWith("secureaoai router run", StringComparison.Ordinal));
        await using var app = new HelloApp();
        var ports = PickPorts(documented, app.Port);
        var lines = documented.Select(line => LoopbackPort().Replace(line, m => $"127.0.0.1:{ports[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)]}")).ToList();
        var scratch = Directory.CreateTempSubdirectory("secureaoai-walkthrough-");
        var previous = Environment.CurrentDirectory;
        using var stop = new CancellationTokenSource(HangGuard);
        var background = new List<(string Line, Task<int> Run, CliScript.LineWriter Error, CancellationTokenSource Stop)>();
        Environment.CurrentDirectory = scratch.FullName;
        try
        {
            foreach (var line in lines)
            {
                if (line.StartsWith("curl ", StringComparison.Ordinal))
                {
                    var url = line["curl ".Length..].Trim();
                    Assert.Equal("hello from the dark app", await GetThroughTunnelAsync(new Uri(url), stop.Token));
                    continue;
                }

                var runsInBackground = line.EndsWith('&');
                var args = CliScript.Tokenize(line.TrimEnd('&').Trim()).Skip(1).ToArray();
                var output = new CliScript.LineWriter();
                var error = new CliScript.LineWriter();
                var own = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                var run = CliApp.RunAsync(args, output, error, own.Token);
                if (runsInBackground)
                {
                    background.Add((line, run, error, own));
                    await CliScript.WaitUntilReadyAsync(line, run, output, error, stop.Token);
                    continue;
                }

                var exitCode = await run;
                Assert.True(exitCode == 0, $"'{line}' exited {exitCode}: {error}");
                Assert.DoesNotContain("PRIVATE KEY", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            await CliScript.StopAllAsync(background);

            await stop.CancelAsync();

            Environment.CurrentDirectory = previous;
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The port each documented <c>127.0.0.1:PORT</c> stands for in this run: the app's (the host
    /// line's <c>--forward</c>) is <paramref name="appPort"/>, every other a free port below the
    /// ephemeral range, chosen at random so that two runs at once do not pick the same.
    /// </summary>
    private static Dictionary<int, int> PickPorts(IEnumerable<string> lines, int appPort)
    {
        var hostLine = lines.Single(l => l.StartsWith("secureaoai host ", StringComparison.Ordinal));
        var documentedAppPort = int.Parse(LoopbackPort().Match(hostLine[hostLine.IndexOf("--forward", StringComparison.Ordinal)..]).Groups[1].Value, CultureInfo.InvariantCulture);
        var ports = new Dictionary<int, int> { [documentedAppPort] = appPort };
                foreach (var documented in lines.SelectMany(l => LoopbackPort().Matches(l)).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct())
        {
            if (ports.ContainsKey(documented))
            {
                continue;
            }

            ports[documented] = CliScript.FreePortBelowEphemeralRange(ports.Values);
        }

        return ports;
    }

    /// <summary>
    /// The walkthrough's curl. The host's bind is confirmed before it prints, but the router may
    /// record the terminator a moment after; a refused request is retried until the hang guard.
    /// </summary>
    private static async Task<string> GetThroughTunnelAsync(Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        while (true)
        {
            try
            {
                return await http.GetStringAsync(url, cancellationToken);
            }
            catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    [GeneratedRegex(@"127\.0\.0\.1:(\d{1,5})\b")]
    private static partial Regex LoopbackPort();

    /// <summary>The "app" of the walkthrough: answers every HTTP request with a fixed text.</summary>
    private sealed class HelloApp : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public HelloApp()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _loop = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var request = new StringBuilder();
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0 || request.Length > 16_384)
                    {
                        break;
                    }

                    request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                var body = "hello from the dark app"u8.ToArray();
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
            }
        }
    }
}
