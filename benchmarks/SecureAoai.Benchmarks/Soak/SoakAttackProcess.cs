using System.Globalization;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Soak;

namespace SecureAoai.Benchmarks.Soak;

/// <summary>
/// The soak's attacker, in a child process of its own so its work does not share a thread pool with
/// the honest clients: runs <see cref="MutatedFrameAttack"/> as the identity in the given file and
/// prints <c>ATTACK frames connections closed</c>.
/// </summary>
internal static class SoakAttackProcess
{
    public const string Command = "soak-attack";

    public static async Task<int> RunAsync(string identityFile, int port, long frames, int concurrency, int seed, int routerMaxFramePayloadBytes)
    {
        using var identity = OverlayIdentity.Load(identityFile);
        var report = await MutatedFrameAttack.RunAsync(port, identity, "echo", frames, concurrency, seed, routerMaxFramePayloadBytes, CancellationToken.None);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ATTACK {report.Frames} {report.Connections} {report.ClosedByRouter}"));
        return 0;
    }
}
