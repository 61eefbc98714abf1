using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>Kestrel's listener for one overlay endpoint: takes the connections its binding routes to its lane.</summary>
internal sealed class OverlayConnectionListener : IConnectionListener
{
    private readonly OverlayServiceBinding _binding;
    private readonly ChannelReader<OverlayConnection> _lane;
    private readonly OverlayConnectionListenerFactory _owner;
    private int _disposed;

    public OverlayConnectionListener(OverlayEndPoint endPoint, OverlayServiceBinding binding, OverlayConnectionListenerFactory owner)
    {
        EndPoint = endPoint;
        _binding = binding;
        _lane = binding.Lane(endPoint.Http2Lane);
        _owner = owner;
    }

    public EndPoint EndPoint { get; }

    public OverlayServiceBinding Binding => _binding;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _lane.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Unbound: the normal end, which Kestrel expects as null rather than an exception.
            return null;
        }
    }

    /// <summary>Unbinds the service at the router (every lane of it stops); connections already accepted stay open.</summary>
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => _binding.UnbindAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _owner.ReleaseAsync(this).ConfigureAwait(false);
    }
}
