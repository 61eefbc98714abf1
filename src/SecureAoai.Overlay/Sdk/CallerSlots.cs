namespace SecureAoai.Overlay;

/// <summary>
/// A few slots per caller name: a caller past its share waits for one of its own slots, never for
/// another caller's, so one caller that holds its slots (a dial that never sends its hello) does not
/// hold up the others. Entries exist only while a caller holds or awaits a slot.
/// </summary>
internal sealed class CallerSlots(int slotsPerCaller)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <summary>Waits for one of <paramref name="caller"/>'s slots; dispose the result to give it back.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public async Task<IDisposable> AcquireAsync(string caller, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_sync)
        {
            if (!_entries.TryGetValue(caller, out entry!))
            {
                entry = new Entry(new SemaphoreSlim(slotsPerCaller, slotsPerCaller));
                _entries.Add(caller, entry);
            }

            entry.Users++;
        }

        try
        {
            await entry.Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(caller, entry);
            throw;
        }

        return new Lease(this, caller, entry);
    }

    private void Leave(string caller, Entry entry)
    {
        lock (_sync)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(caller);
                entry.Slots.Dispose();
            }
        }
    }

    private sealed class Entry(SemaphoreSlim slots)
    {
        public SemaphoreSlim Slots { get; } = slots;

        public int Users { get; set; }
    }

    private sealed class Lease(CallerSlots owner, string caller, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                entry.Slots.Release();
                owner.Leave(caller, entry);
            }
        }
    }
}
