using System.Globalization;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Soak;

namespace SecureAoai.Benchmarks.Soak;

/// <summary>
/// The soak's attacker, in a child process of its own so its work does not share a thread pool with
/// the honest clients: runs <see cref="MutatedFrameAttack"/> as the identity in the given file (then
/// port, frames, frames per connection, connections at once, seed, router frame limit) and prints
/// <c>ATTACK frames connections closed</c>.
/// </summary>
internal static class SoakAttackProcess
{
    public const string Command = "soak-attack";

    public static async Task<int> RunAsync(string[] args)
    {
        var numbers = args[1..].Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var (port, frames, framesPerConnection, concurrency, seed, routerMaxFramePayloadBytes) = ((int)numbers[0], numbers[1], (int)numbers[2], (int)numbers[3], (int)numbers[4], (int)numbers[5]);
        using var identity = OverlayIdentity.Load(args[0]);
        var report = await MutatedFrameAttack.RunAsync(port, identity, "echo", frames, framesPerConnection, concurrency, seed, routerMaxFramePayloadBytes, CancellationToken.None);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ATTACK {report.Frames} {report.Connections} {report.ClosedByRouter}"));
        return 0;
    }
}
