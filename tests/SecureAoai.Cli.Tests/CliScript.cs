using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

using SecureAoai.Tests.Shared;

namespace SecureAoai.Cli.Tests;

/// <summary>What the tests that run documented command lines share: reading docs/overlay.md's blocks, splitting lines as a shell would, free ports, and watching a background command's output.</summary>
internal static partial class CliScript
{
    /// <summary>A free loopback port below the ephemeral range, none of <paramref name="taken"/> (see <see cref="FreePorts"/>).</summary>
    public static int FreePortBelowEphemeralRange(IEnumerable<int> taken) => FreePorts.BelowEphemeralRange(taken);

    /// <summary>The lines of the first bash block under <paramref name="heading"/> in docs/overlay.md.</summary>
    public static List<string> DocBashBlock(string heading)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SecureAoai.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var doc = File.ReadAllText(Path.Combine(root.FullName, "docs", "overlay.md"));
        var section = doc[doc.IndexOf(heading, StringComparison.Ordinal)..];
        var block = BashBlock().Match(section);
        Assert.True(block.Success, $"docs/overlay.md has a bash block under {heading}");
        return [.. block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>Splits a shell line on spaces, honouring single quotes.</summary>
    public static IEnumerable<string> Tokenize(string line)
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

    /// <summary>
    /// Waits until a background command says it is ready (router run, host and tunnel each print one
    /// line once they listen or are bound), or fails if it exited first.
    /// </summary>
    public static async Task WaitUntilReadyAsync(string line, Task<int> run, CliScript.LineWriter output, CliScript.LineWriter error, CancellationToken cancellationToken)
    {
        var ready = output.FirstLineAsync(cancellationToken);
        var first = await Task.WhenAny(ready, run);
        Assert.True(first == ready, $"'{line}' exited with {(run.IsCompleted ? run.Result : 0)} before it was ready: {error}");
        await ready;
    }

    /// <summary>Ctrl+C on every background command at once, as when a terminal session ends; each must stop within 30 s and exit 0.</summary>
    public static async Task StopAllAsync(IEnumerable<(string Line, Task<int> Run, LineWriter Error, CancellationTokenSource Stop)> background)
    {
        foreach (var (_, _, _, own) in background)
        {
            await own.CancelAsync();
        }

        foreach (var (line, run, error, own) in background)
        {
            var stopped = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(stopped == run, $"'{line}' did not stop within 30 s of Ctrl+C");
            var exitCode = await run;
            Assert.True(exitCode == 0, $"'{line}' exited {exitCode} when stopped: {error}");
            own.Dispose();
        }
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    /// <summary>A writer the commands write to while the test reads it: whole lines, under a lock, with an event for the first.</summary>
    public sealed class LineWriter : StringWriter
    {
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstLineAsync(CancellationToken cancellationToken) => _firstLine.Task.WaitAsync(cancellationToken);

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
                if (value == '\n')
                {
                    _firstLine.TrySetResult();
                }
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_gate)
            {
                base.Write(buffer, index, count);
                if (Array.IndexOf(buffer, '\n', index, count) >= 0)
                {
                    _firstLine.TrySetResult();
                }
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
                if (value?.Contains('\n', StringComparison.Ordinal) == true)
                {
                    _firstLine.TrySetResult();
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}
