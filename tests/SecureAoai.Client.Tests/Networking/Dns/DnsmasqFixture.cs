using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// A real dnsmasq serving fixed records on 127.0.0.1 and a free port, for tests of the DNS path end to end.
/// Self-contained (no project types), so other test projects can link this file.
/// </summary>
/// <example>
/// As a class fixture: <c>public sealed class MyTests(DnsmasqFixture dns) : IClassFixture&lt;DnsmasqFixture&gt;</c>
/// with <see cref="DefaultRecords"/>. With records of your own:
/// <c>await using var dns = await DnsmasqFixture.StartAsync(["--local-ttl=60", "--host-record=a.test,10.0.0.1"]);</c>
/// and <see cref="RestartAsync"/> to make the answer change between lookups.
/// </example>
public sealed class DnsmasqFixture : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>Where Debian's dnsmasq-base package installs dnsmasq.</summary>
    public const string DnsmasqPath = "/usr/sbin/dnsmasq";

    /// <summary>The TTL of every record in <see cref="DefaultRecords"/>, in seconds.</summary>
    public const int DefaultTtlSeconds = 300;

    /// <summary>How many A records big.test has in <see cref="DefaultRecords"/>: too many for 1232 bytes of UDP.</summary>
    public const int BigRecordCount = 100;

    private const int MaxStartAttempts = 5;
    private const int MaxReadinessProbes = 50;
    private static readonly TimeSpan ReadinessProbeTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<string> _initialRecords;
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>A fixture serving <see cref="DefaultRecords"/>, started by xunit through <see cref="InitializeAsync"/>.</summary>
    public DnsmasqFixture()
        : this(DefaultRecords)
    {
    }

    private DnsmasqFixture(IEnumerable<string> records) => _initialRecords = [.. records];

    /// <summary>
    /// The records the parameterless fixture serves, TTL <see cref="DefaultTtlSeconds"/> s. Names under .test and
    /// azure.com are answered locally, so unknown ones get NXDOMAIN.
    /// aoai-east.openai.azure.com → CNAME aoai-east.privatelink.openai.azure.com → 10.1.2.3 (private endpoint);
    /// aoai-public.openai.azure.com → CNAME aoai-public.privatelink.openai.azure.com → 20.1.2.3 (public address);
    /// dual.test → 10.0.0.1 and fd00::1; txt-only.test has only a TXT record; big.test has <see cref="BigRecordCount"/> A records 10.9.0.1….
    /// </summary>
    public static IReadOnlyList<string> DefaultRecords { get; } =
    [
        $"--local-ttl={DefaultTtlSeconds}",
        "--local=/test/",
        "--local=/azure.com/",
        "--cname=aoai-east.openai.azure.com,aoai-east.privatelink.openai.azure.com",
        "--host-record=aoai-east.privatelink.openai.azure.com,10.1.2.3",
        "--cname=aoai-public.openai.azure.com,aoai-public.privatelink.openai.azure.com",
        "--host-record=aoai-public.privatelink.openai.azure.com,20.1.2.3",
        "--host-record=dual.test,10.0.0.1,fd00::1",
        "--txt-record=txt-only.test,no address here",
        .. Enumerable.Range(1, BigRecordCount).Select(i => $"--host-record=big.test,10.9.{i / 256}.{i % 256}"),
    ];

    /// <summary>Where dnsmasq listens (UDP and TCP).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>"127.0.0.1:PORT", the form DNS server settings take.</summary>
    public string Address => EndPoint.ToString();

    /// <summary>What dnsmasq printed (with --log-queries: every query it received), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts dnsmasq with <paramref name="records"/> (dnsmasq options: --host-record=…, --cname=…, --local-ttl=…).</summary>
    /// <remarks>
    /// Without upstream servers dnsmasq answers REFUSED for anything it is not authoritative for, including the AAAA
    /// question of a name that has only an A record. Add "--local=/zone/" for each zone you serve so unknown names get
    /// NXDOMAIN and missing families an empty answer; add "--local-ttl=N" or local records carry TTL 0.
    /// </remarks>
    /// <exception cref="InvalidOperationException">dnsmasq is not installed, or did not start and answer.</exception>
    public static async Task<DnsmasqFixture> StartAsync(IEnumerable<string> records, CancellationToken cancellationToken = default)
    {
        var fixture = new DnsmasqFixture(records);
        await fixture.StartOnFreePortAsync(cancellationToken);
        return fixture;
    }

    /// <inheritdoc />
    public Task InitializeAsync() => StartOnFreePortAsync(CancellationToken.None);

    /// <summary>Stops dnsmasq and starts it again on the same port with <paramref name="records"/>: an answer that changes between lookups.</summary>
    public async Task RestartAsync(IEnumerable<string> records, CancellationToken cancellationToken = default)
    {
        await StopAsync();
        if (!await TryStartAsync(EndPoint.Port, [.. records], cancellationToken))
        {
            throw new InvalidOperationException($"dnsmasq did not restart on {Address}:\n{Output}");
        }
    }

    private async Task StartOnFreePortAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(DnsmasqPath))
        {
            throw new InvalidOperationException(
                $"dnsmasq not installed; ./test.sh installs it (Debian package dnsmasq-base, expected at {DnsmasqPath}).");
        }

        for (var attempt = 1; attempt <= MaxStartAttempts; attempt++)
        {
            if (await TryStartAsync(FreePort(), _initialRecords, cancellationToken))
            {
                return;
            }
        }

        throw new InvalidOperationException($"dnsmasq did not start in {MaxStartAttempts} attempts:\n{Output}");
    }

    private async Task<bool> TryStartAsync(int port, IReadOnlyList<string> records, CancellationToken cancellationToken)
    {
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        var start = new ProcessStartInfo(DnsmasqPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--listen-address=127.0.0.1", "--bind-interfaces", $"--port={port}", "--pid-file=",
            "--user=root", "--log-facility=-", "--log-queries", .. records])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Ready when it answers a query; give up when it exits (port taken, bad option) or after the probes run out.
        for (var probe = 0; probe < MaxReadinessProbes; probe++)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken);
                return false;
            }

            if (await AnswersAsync(EndPoint, cancellationToken))
            {
                return true;
            }
        }

        await StopAsync();
        return false;
    }

    private static async Task<bool> AnswersAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        // A hand-written query for "ready.probe" A; any answer with our id means dnsmasq is serving.
        var id = (ushort)Random.Shared.Next(ushort.MaxValue);
        byte[] query = [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, .. "ready"u8, 5, .. "probe"u8, 0, 0, 1, 0, 1];
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadinessProbeTimeout);
        var buffer = new byte[512];
        try
        {
            await socket.ConnectAsync(server, timeout.Token);
            await socket.SendAsync(query, SocketFlags.None, timeout.Token);
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return received >= 2 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (SocketException)
        {
            // Port unreachable: not listening yet. Wait out the probe interval so the loop stays bounded in time too.
            await Task.Delay(ReadinessProbeTimeout, cancellationToken);
            return false;
        }
    }

    private static int FreePort()
    {
        // A port free for UDP and TCP at this moment; dnsmasq binds both. The OS picks a free UDP
        // port, which TCP may hold already (other tests run beside this one): then pick again.
        for (var attempt = 1; ; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // Taken for TCP: try another.
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().WaitAsync(StopTimeout);
        process.Dispose();
    }

    /// <inheritdoc />
    public Task DisposeAsync() => StopAsync();

    ValueTask IAsyncDisposable.DisposeAsync() => new(StopAsync());
}
