using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>A real TCP connection on 127.0.0.1.</summary>
internal static class Loopback
{
    public static async Task<(NetworkStream Client, NetworkStream Server)> ConnectAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task connect = client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        Socket server = await listener.AcceptSocketAsync();
        await connect;
        server.NoDelay = true;
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }
}
