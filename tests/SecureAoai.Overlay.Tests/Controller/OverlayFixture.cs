using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>An overlay in a temporary directory with its controller server on 127.0.0.1 (port picked by the OS).</summary>
public sealed class OverlayFixture : IAsyncDisposable
{
    private OverlayFixture(string directory, OverlayController controller, ControllerServer? server)
    {
        Directory = directory;
        Controller = controller;
        Server = server;
    }

    public string Directory { get; }

    internal OverlayController Controller { get; }

    internal ControllerServer? Server { get; }

    public static string NewTempDirectory() => Path.Combine(Path.GetTempPath(), "secureaoai-ctl-" + Guid.NewGuid().ToString("N"));

    internal static OverlayFixture Start(TimeProvider? time = null, bool serve = true, Func<TcpListener, CancellationToken, ValueTask<Socket>>? accept = null)
    {
        var directory = NewTempDirectory();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var controller = OverlayController.Initialize(directory, address, time);
        if (!serve)
        {
            listener.Stop();
            return new OverlayFixture(directory, controller, null);
        }

        return new OverlayFixture(directory, controller, controller.StartServer(listener, accept: accept));
    }

    public string PathFor(string file) => Path.Combine(Directory, file);

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Controller.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
