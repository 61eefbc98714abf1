using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// The last line of dark mode: registered after Kestrel's socket transport, it is the factory Kestrel
/// picks for every IP, Unix-socket or handle endpoint, and it refuses them all. Whatever added the
/// endpoint (a Listen* call, configuration reloaded later), no socket is ever opened.
/// </summary>
internal sealed class DarkModeGuard(OverlayHostingOptions options) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint or FileHandleEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        throw DarkMode.Refuse(
            options,
            $"a listen on {Describe(endpoint)}",
            "code (KestrelServerOptions.Listen, ListenLocalhost, ListenAnyIP, ListenUnixSocket or ListenHandle)");

    private static string Describe(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => $"TCP {ip}",
        UnixDomainSocketEndPoint unix => $"Unix socket {unix}",
        FileHandleEndPoint handle => $"socket handle {handle.FileHandle}",
        _ => endpoint.ToString() ?? endpoint.GetType().Name,
    };
}
