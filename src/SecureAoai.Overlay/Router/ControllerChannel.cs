using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// A router's connection to its controller: mutual TLS with the router's certificate, the controller
/// pinned to the overlay CA and to the controller's own name. Requests go one at a time. The controller
/// closes a connection after a while (<see cref="OverlayControllerOptions.ConnectionTimeout"/>, a number
/// of requests), so the channel opens a new one before <see cref="MaxConnectionAge"/>, and when a request
/// fails on a connection it had used before, it asks once more on a fresh one (every router request can be
/// asked twice).
/// </summary>
internal sealed class ControllerChannel : IAsyncDisposable
{
    /// <summary>How long one connection is used before a new one is opened; under the controller's default 30 s connection limit.</summary>
    public static readonly TimeSpan MaxConnectionAge = TimeSpan.FromSeconds(15);

    private readonly OverlayRouterIdentity _identity;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ControllerClient? _client;
    private long _openedAt;

    public ControllerChannel(OverlayRouterIdentity identity) => _identity = identity;

    /// <summary>Sends a request and returns the controller's answer (which may say <c>"ok": false</c>).</summary>
    /// <exception cref="IOException">The controller could not be reached or closed the connection; also socket, TLS and timeout failures.</exception>
    public async Task<JsonObject> RequestAsync(JsonObject request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reused = _client is not null && System.Diagnostics.Stopwatch.GetElapsedTime(_openedAt) < MaxConnectionAge;
            if (!reused)
            {
                await ReconnectAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await _client!.RequestAsync(request, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (reused && ex is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
            {
                // The controller ended a connection that had served before (its age or request limit): once more, afresh.
                await ReconnectAsync(cancellationToken).ConfigureAwait(false);
                return await _client!.RequestAsync(request, timeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await DropAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await DropAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        await DropAsync().ConfigureAwait(false);
        _client = await ControllerClient.ConnectAsync(_identity.ControllerAddress, ControllerClient.TrustOnly(_identity.CaCertificate), _identity.Certificate, cancellationToken).ConfigureAwait(false);
        _openedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private async Task DropAsync()
    {
        if (Interlocked.Exchange(ref _client, null) is { } client)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
