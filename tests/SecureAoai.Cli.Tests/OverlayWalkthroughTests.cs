using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureAoai.Cli.Tests;

/// <summary>Runs the walkthrough of docs/overlay.md line by line, exactly as written, in a scratch folder.</summary>
[Collection(CurrentDirectoryTests.Name)]
public sealed partial class OverlayWalkthroughTests
{
    private const int AppPort = 47080;

    [Fact]
    public async Task Walkthrough_AsWrittenInDocs_TunnelReachesTheAppThroughTheOverlay()
    {
        var lines = WalkthroughLines();
        Assert.Contains(lines, l => l.StartsWith("secureaoai router run", StringComparison.Ordinal));
        var scratch = Directory.CreateTempSubdirectory("secureaoai-walkthrough-");
        var previous = Environment.CurrentDirectory;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var background = new List<(string Line, Task<int> Run, StringWriter Error, CancellationTokenSource Stop)>();
        await using var app = new HelloApp(AppPort);
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
                var args = Tokenize(line.TrimEnd('&').Trim()).Skip(1).ToArray();
                var output = new StringWriter();
                var error = new StringWriter();
                var own = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                var run = CliApp.RunAsync(args, output, error, own.Token);
                if (runsInBackground)
                {
                    background.Add((line, run, error, own));
                    await WaitUntilListeningAsync(ListenPort(args), run, stop.Token);
                    continue;
                }

                var exitCode = await run;
                Assert.True(exitCode == 0, $"'{line}' exited {exitCode}: {error}");
                Assert.DoesNotContain("PRIVATE KEY", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            // Ctrl+C on every background command at once, as when a terminal session ends.
            foreach (var (_, _, _, own) in background)
            {
                await own.CancelAsync();
            }

            foreach (var (line, run, error, own) in background)
            {
                var stopped = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(15)));
                Assert.True(stopped == run, $"'{line}' did not stop within 15 s of Ctrl+C");
                var exitCode = await run;
                Assert.True(exitCode == 0, $"'{line}' exited {exitCode} when stopped: {error}");
                own.Dispose();
            }

            await stop.CancelAsync();

            Environment.CurrentDirectory = previous;
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>The bash block of docs/overlay.md's walkthrough.</summary>
    private static List<string> WalkthroughLines()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SecureAoai.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var doc = File.ReadAllText(Path.Combine(root.FullName, "docs", "overlay.md"));
        var section = doc[doc.IndexOf("## Walkthrough", StringComparison.Ordinal)..];
        var block = BashBlock().Match(section);
        Assert.True(block.Success, "docs/overlay.md has a bash block under ## Walkthrough");
        return [.. block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>Splits a shell line on spaces, honouring single quotes.</summary>
    private static IEnumerable<string> Tokenize(string line)
    {
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (c == ' ' && !quoted)
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static int ListenPort(string[] args)
    {
        var at = Array.IndexOf(args, "--listen");
        if (at < 0)
        {
            return -1; // host: binds a service, listens on nothing
        }

        return int.Parse(args[at + 1].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (bounded) until a background command listens on its port, or fails if it exited.</summary>
    private static async Task WaitUntilListeningAsync(int port, Task<int> run, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.False(run.IsCompleted, $"a background command exited early with {(run.IsCompleted ? run.Result : 0)}");
            if (port < 0)
            {
                return; // host binds a service and listens on nothing; the request below retries until it is bound
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25, cancellationToken);
            }
        }

        Assert.Fail($"nothing listened on port {port}");
    }

    /// <summary>The walkthrough's curl: retried (bounded) while the host's bind reaches the router.</summary>
    private static async Task<string> GetThroughTunnelAsync(Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await http.GetStringAsync(url, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < 40)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    /// <summary>The "app" of the walkthrough: answers every HTTP request with a fixed text.</summary>
    private sealed class HelloApp : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public HelloApp(int port)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            _loop = ServeAsync();
        }

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
