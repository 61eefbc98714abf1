using System.Threading.Channels;
using SecureAoai.Overlay;

namespace SecureAoai.Testing.Overlay;

/// <summary>
/// A second <see cref="IOverlayTransport"/>, in memory, after Kestrel's in-memory test transport: a
/// service is bound by name, each dial is joined to a binder of it over two bounded channels, and the
/// binder learns the caller's name and roles. A dial needs the service's dial role, a bind its bind
/// role; a missing service gets the same refusal as a forbidden one. Tests run the same bodies over it
/// and over the embedded overlay, which proves that what they test stands on the seam alone.
/// </summary>
internal sealed class InMemoryOverlay
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, (string DialRole, string BindRole, List<InMemoryListener> Binders)> _services = new(StringComparer.Ordinal);
    private long _carriedBytes;
    private int _nextBinder;

    /// <summary>Bytes written into streams, both directions: what the network carried.</summary>
    public long CarriedBytes => Interlocked.Read(ref _carriedBytes);

    public void CreateService(string service, string dialRole, string bindRole)
    {
        lock (_sync)
        {
            _services.Add(service, (dialRole, bindRole, []));
        }
    }

    /// <summary>The identity <paramref name="name"/> with <paramref name="roles"/>, as a transport that dials and binds as it.</summary>
    public IOverlayTransport Join(string name, params string[] roles) => new Transport(this, new OverlayCaller(name, roles));

    public int BinderCount(string service)
    {
        lock (_sync)
        {
            return _services.TryGetValue(service, out var entry) ? entry.Binders.Count : 0;
        }
    }

    internal void Carried(int bytes) => Interlocked.Add(ref _carriedBytes, bytes);

    internal void Unbind(InMemoryListener listener)
    {
        lock (_sync)
        {
            _services[listener.Service].Binders.Remove(listener);
        }
    }

    private InMemoryOverlayStream Dial(OverlayCaller caller, string service)
    {
        InMemoryListener binder;
        lock (_sync)
        {
            if (!_services.TryGetValue(service, out var entry) || !caller.Roles.Contains(entry.DialRole))
            {
                throw NotAuthorized(caller, "dial", service);
            }

            if (entry.Binders.Count == 0)
            {
                throw new OverlayDialException(service, OverlayDialFailure.NoTerminator, $"no terminator: service '{service}' has no live binder");
            }

            binder = entry.Binders[_nextBinder++ % entry.Binders.Count];
        }

        var toBinder = Channel.CreateBounded<byte[]>(InMemoryOverlayStream.ChunksInFlight);
        var toDialer = Channel.CreateBounded<byte[]>(InMemoryOverlayStream.ChunksInFlight);
        var binderEnd = new InMemoryOverlayStream(toBinder, toDialer, service, caller, this);
        return binder.Offer(binderEnd)
            ? new InMemoryOverlayStream(toDialer, toBinder, service, binder.Owner, this)
            : throw new OverlayDialException(service, OverlayDialFailure.NoTerminator, $"no terminator: service '{service}' was unbound");
    }

    private InMemoryListener Bind(OverlayCaller caller, string service)
    {
        lock (_sync)
        {
            if (!_services.TryGetValue(service, out var entry) || !caller.Roles.Contains(entry.BindRole))
            {
                throw NotAuthorized(caller, "bind", service);
            }

            var listener = new InMemoryListener(this, service, caller);
            entry.Binders.Add(listener);
            return listener;
        }
    }

    private static OverlayDialException NotAuthorized(OverlayCaller caller, string op, string service) =>
        new(service, OverlayDialFailure.NotAuthorized, $"not authorized: identity '{caller.Name}' may not {op} service '{service}', or there is no such service");

    private sealed class Transport(InMemoryOverlay network, OverlayCaller identity) : IOverlayTransport
    {
        public string IdentityName => identity.Name;

        public Task<OverlayStream> DialAsync(string service, CancellationToken cancellationToken = default) => Task.FromResult<OverlayStream>(network.Dial(identity, service));

        public Task<IOverlayListener> BindAsync(string service, CancellationToken cancellationToken = default) => Task.FromResult<IOverlayListener>(network.Bind(identity, service));
    }
}

/// <summary>A bound service of the <see cref="InMemoryOverlay"/>: the dials joined to it, until disposed.</summary>
internal sealed class InMemoryListener(InMemoryOverlay network, string service, OverlayCaller owner) : IOverlayListener
{
    private readonly Channel<OverlayStream> _dials = Channel.CreateUnbounded<OverlayStream>();

    public string Service { get; } = service;

    public OverlayCaller Owner { get; } = owner;

    public bool IsBound => !_dials.Reader.Completion.IsCompleted;

    public bool Offer(OverlayStream dial) => _dials.Writer.TryWrite(dial);

    public async ValueTask<OverlayStream?> AcceptAsync(CancellationToken cancellationToken = default) =>
        await _dials.Reader.WaitToReadAsync(cancellationToken) && _dials.Reader.TryRead(out var dial) ? dial : null;

    public async ValueTask DisposeAsync()
    {
        network.Unbind(this);
        _dials.Writer.TryComplete();
        while (_dials.Reader.TryRead(out var unclaimed))
        {
            unclaimed.Abort();
            await unclaimed.DisposeAsync();
        }
    }
}

/// <summary>One end of an in-memory connection: what it writes goes to the other end's reads, in chunks.</summary>
internal sealed class InMemoryOverlayStream(Channel<byte[]> incoming, Channel<byte[]> outgoing, string service, OverlayCaller peer, InMemoryOverlay network)
    : OverlayStream(service, peer)
{
    /// <summary>Chunks a writer may have sent that its reader has not taken; more writes wait.</summary>
    public const int ChunksInFlight = 64;

    private ReadOnlyMemory<byte> _leftover;
    private IOException? _aborted;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_leftover.IsEmpty)
        {
            ThrowIfAborted();
            if (incoming.Reader.TryRead(out var chunk))
            {
                _leftover = chunk;
            }
            else if (!await incoming.Reader.WaitToReadAsync(cancellationToken))
            {
                // The other end half-closed (a reset would have thrown above, from the channel's completion).
                return 0;
            }
        }

        var count = Math.Min(buffer.Length, _leftover.Length);
        _leftover[..count].CopyTo(buffer);
        _leftover = _leftover[count..];
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfAborted();
        try
        {
            await outgoing.Writer.WriteAsync(buffer.ToArray(), cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw ex.InnerException as IOException ?? new IOException("The stream's writes were completed or the peer closed it.", ex);
        }

        network.Carried(buffer.Length);
    }

    public override ValueTask CompleteWritesAsync()
    {
        outgoing.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public override void Abort()
    {
        var reset = new IOException("The peer reset the stream: aborted by the application");
        _aborted ??= new IOException("The stream was aborted: aborted by the application");
        outgoing.Writer.TryComplete(reset);
        incoming.Writer.TryComplete(reset);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous only.");

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A clean end for the reader over there, unless aborted; its further writes fail.
            outgoing.Writer.TryComplete();
            incoming.Writer.TryComplete(new IOException("The peer closed the stream."));
        }

        base.Dispose(disposing);
    }

    private void ThrowIfAborted()
    {
        if (_aborted is { } aborted)
        {
            throw aborted;
        }
    }
}
