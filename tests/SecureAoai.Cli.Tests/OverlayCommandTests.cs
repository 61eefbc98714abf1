using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Cli.Tests;

/// <summary><c>secureaoai overlay ...</c> end to end, with the controller server in-process on 127.0.0.1.</summary>
public sealed class OverlayCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "secureaoai-cli-" + Guid.NewGuid().ToString("N"));

    public OverlayCommandTests() => Directory.CreateDirectory(_root);

    private string Dir => Path.Combine(_root, "overlay");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Overlay_InitCreateEnrollServicePolicyList_WorksAndPrintsNoSecrets()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var jwtPath = Path.Combine(_root, "alice.jwt");
        var identityPath = Path.Combine(_root, "alice.json");
        var printed = new List<string>();

        var init = await RunAsync("overlay", "init", "--dir", Dir, "--controller", address);
        Assert.Equal(0, init.ExitCode);
        Assert.Contains("CA fingerprint", init.Output, StringComparison.Ordinal);
        printed.Add(init.Output + init.Error);

        using var controller = OverlayController.Open(Dir);
        await using var server = controller.StartServer(listener);

        var create = await RunAsync("overlay", "identity", "create", "alice", "--roles", "clients,east", "--dir", Dir, "--out", jwtPath);
        Assert.Equal(0, create.ExitCode);
        Assert.Contains(jwtPath, create.Output, StringComparison.Ordinal);
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(jwtPath) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        printed.Add(create.Output + create.Error);

        var enroll = await RunAsync("overlay", "enroll", "--jwt", jwtPath, "--out", identityPath);
        Assert.Equal(0, enroll.ExitCode);
        Assert.Contains("Enrolled 'alice'", enroll.Output, StringComparison.Ordinal);
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(identityPath) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        printed.Add(enroll.Output + enroll.Error);

        var service = await RunAsync("overlay", "service", "create", "chat", "--roles", "apps", "--dir", Dir);
        Assert.Equal(0, service.ExitCode);
        var policy = await RunAsync("overlay", "policy", "create", "dial-chat", "--type", "Dial", "--identity-roles", "#clients", "--service-roles", "#apps", "--dir", Dir);
        Assert.Equal(0, policy.ExitCode);
        var allOf = await RunAsync("overlay", "policy", "create", "bind-chat", "--type", "Bind", "--identity-roles", "#clients,#east", "--service-roles", "@chat", "--semantic", "AllOf", "--dir", Dir);
        Assert.Equal(0, allOf.ExitCode);

        var identities = await RunAsync("overlay", "list", "identities", "--dir", Dir);
        var services = await RunAsync("overlay", "list", "services", "--dir", Dir);
        var policies = await RunAsync("overlay", "list", "policies", "--dir", Dir);
        Assert.Matches(@"alice\s+#clients,#east\s+enrolled", identities.Output);
        Assert.Matches(@"chat\s+#apps", services.Output);
        Assert.Matches(@"dial-chat\s+Dial\s+AnyOf\s+#clients\s+#apps", policies.Output);
        Assert.Matches(@"bind-chat\s+Bind\s+AllOf\s+#clients,#east\s+@chat", policies.Output);
        Assert.True(controller.Authorizer.Authorize("alice", "chat", ServicePolicyType.Dial));
        Assert.True(controller.Authorizer.Authorize("alice", "chat", ServicePolicyType.Bind));

        var revoke = await RunAsync("overlay", "identity", "revoke", "alice", "--dir", Dir);
        Assert.Equal(0, revoke.ExitCode);
        Assert.Matches(@"alice\s+#clients,#east\s+revoked", (await RunAsync("overlay", "list", "identities", "--dir", Dir)).Output);
        Assert.False(controller.Authorizer.Authorize("alice", "chat", ServicePolicyType.Dial));

        printed.AddRange([service.Output, policy.Output, identities.Output, services.Output, policies.Output, revoke.Output]);
        var jwt = await File.ReadAllTextAsync(jwtPath);
        foreach (var text in printed)
        {
            Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
            Assert.DoesNotContain(jwt.Trim(), text, StringComparison.Ordinal);
            Assert.DoesNotContain("eyJ", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Init_Twice_ExitsOneSayingItRefusesToOverwrite()
    {
        Assert.Equal(0, (await RunAsync("overlay", "init", "--dir", Dir, "--controller", "127.0.0.1:6262")).ExitCode);

        var (exitCode, _, error) = await RunAsync("overlay", "init", "--dir", Dir, "--controller", "127.0.0.1:6262");

        Assert.Equal(1, exitCode);
        Assert.Contains("refusing to overwrite", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--controller", "overlay", "init", "--dir", "D")]
    [InlineData("--controller 'nope' is not HOST:PORT", "overlay", "init", "--dir", "D", "--controller", "nope")]
    [InlineData("--out", "overlay", "identity", "create", "alice", "--dir", "D")]
    [InlineData("--jwt", "overlay", "enroll", "--out", "x.json")]
    [InlineData("widgets", "overlay", "list", "widgets", "--dir", "D")]
    [InlineData("Maybe", "overlay", "policy", "create", "p", "--type", "Maybe", "--identity-roles", "#a", "--service-roles", "#b", "--dir", "D")]
    public async Task Overlay_BadArguments_ExitTwoNamingTheOption(string expected, params string[] args)
    {
        var (exitCode, _, error) = await RunAsync([.. args.Select(a => a == "D" ? Dir : a)]);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyCreate_RoleWithoutPrefix_ExitsTwoExplainingTheSyntax()
    {
        await RunAsync("overlay", "init", "--dir", Dir, "--controller", "127.0.0.1:6262");

        var (exitCode, _, error) = await RunAsync("overlay", "policy", "create", "p", "--type", "Dial", "--identity-roles", "clients", "--service-roles", "#all", "--dir", Dir);

        Assert.Equal(2, exitCode);
        Assert.Contains("--identity-roles 'clients'", error, StringComparison.Ordinal);
        Assert.Contains("'#attribute', '@name' or '#all'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceCreate_NoOverlayInDir_ExitsOneSayingRunInit()
    {
        var (exitCode, _, error) = await RunAsync("overlay", "service", "create", "chat", "--dir", Dir);

        Assert.Equal(1, exitCode);
        Assert.Contains("overlay init", error, StringComparison.Ordinal);
    }
}
