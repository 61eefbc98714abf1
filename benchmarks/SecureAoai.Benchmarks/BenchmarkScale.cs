namespace SecureAoai.Benchmarks;

/// <summary>
/// The sizes that differ between quick and full mode. Quick mode (<c>--quick</c>) runs every benchmark
/// in this process, so what <c>Program.cs</c> sets here reaches them; a full run starts a process
/// per benchmark, which never sees it set and keeps the sizes.
/// </summary>
internal static class BenchmarkScale
{
    /// <summary>Whether this process runs the quick mode. The default value is <see langword="false"/> (full sizes).</summary>
    public static bool Quick { get; set; }
}
