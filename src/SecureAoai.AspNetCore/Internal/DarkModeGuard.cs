using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// The last line of dark mode: registered after Kestrel's transports, it is the factory Kestrel picks for
/// every IP, Unix-socket, handle or named-pipe endpoint (sockets, named pipes) and, as a multiplexed
/// factory, for every QUIC (HTTP/3) endpoint; it refuses them all. Whatever added the endpoint (a Listen*
/// call, configuration reloaded later), no socket, pipe or UDP port is ever opened.
/// </summary>
internal sealed class DarkModeGuard(OverlayHostingOptions options) : IConnectionListenerFactory, IMultiplexedConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private const string InCode = "code (KestrelServerOptions.Listen, ListenLocalhost, ListenAnyIP, ListenUnixSocket or ListenHandle)";

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint or FileHandleEndPoint or NamedPipeEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        throw (endpoint is NamedPipeEndPoint pipe
            ? DarkMode.Refuse(options, $"a listen on named pipe '{pipe.PipeName}'", "code (KestrelServerOptions.ListenNamedPipe)")
            : DarkMode.Refuse(options, $"a listen on {Describe(endpoint)}", InCode));

    public ValueTask<IMultiplexedConnectionListener> BindAsync(EndPoint endpoint, IFeatureCollection? features = null, CancellationToken cancellationToken = default) =>
        throw DarkMode.Refuse(
            options,
            $"a QUIC (HTTP/3) listen on {Describe(endpoint).Replace("TCP ", "UDP ", StringComparison.Ordinal)}",
            "code (ListenOptions.Protocols with HttpProtocols.Http3 on a KestrelServerOptions.Listen* endpoint)");

    private static string Describe(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => $"TCP {ip}",
        UnixDomainSocketEndPoint unix => $"Unix socket {unix}",
        FileHandleEndPoint handle => $"socket handle {handle.FileHandle}",
        _ => endpoint.ToString() ?? endpoint.GetType().Name,
    };
}
