using System.Net;
using ChatApp;
using DocApp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureAoai.Client;
using SecureAoai.Emulator;
using SecureAoai.Overlay;

namespace QuickStart;

/// <summary>Starts and stops, in order, every piece of the quick start.</summary>
internal sealed class QuickStartStack(string identity, TextWriter output) : IAsyncDisposable
{
    private static readonly string[] ManagedIdentityVariables = ["AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER"];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "secureaoai-quickstart-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _tokenFile = Path.Combine(Path.GetTempPath(), "secureaoai-quickstart-" + Guid.NewGuid().ToString("N")[..8] + ".jwt");
    private readonly List<IAsyncDisposable> _stopInReverse = [];
    private readonly List<IDisposable> _disposeInReverse = [];
    private EmbeddedOverlay? _overlay;

    public Uri ChatUrl { get; private set; } = null!;

    public Uri DocUrl { get; private set; } = null!;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // 1. Azure OpenAI, emulated: two regions; eastus answers 429 to everything, westus serves.
        var federation = new EmulatorFederation { ClientId = "22222222-2222-2222-2222-222222222222" };
        var emulatorOptions = new EmulatorOptions();
        emulatorOptions.Identities.Add(new EmulatorIdentity { ClientId = "11111111-1111-1111-1111-111111111111" });
        emulatorOptions.Identities.Add(new EmulatorIdentity { ClientId = federation.ClientId });
        emulatorOptions.Federations.Add(federation);
        emulatorOptions.Instances.Add(new EmulatorInstanceOptions { Name = "eastus" });
        emulatorOptions.Instances.Add(new EmulatorInstanceOptions { Name = "westus" });
        var emulator = await EmulatorServer.StartAsync(emulatorOptions, cancellationToken);
        _stopInReverse.Add(emulator);
        emulator["eastus"].Throttle(TimeSpan.FromSeconds(30));
        var settings = OpenAISettings(emulator, federation);

        // 2. The overlay, embedded: a controller and two routers on loopback, identities enrolled into a
        //    folder. Every identity uses both routers: binds on each, dials through the faster one.
        var overlayOptions = new EmbeddedOverlayOptions { Directory = _directory };
        overlayOptions.RouterAddresses.Add("127.0.0.1:0");
        var overlay = await EmbeddedOverlay.StartAsync(overlayOptions, cancellationToken: cancellationToken);
        _stopInReverse.Add(overlay);
        _overlay = overlay;
        overlay.CreateService("chatapp", "webapps");
        overlay.CreateService("docapp", "webapps");
        overlay.CreateService("aoai-westus", "openai");
        overlay.AllowBind("apps-bind", ["#apps"], ["#webapps"]);
        overlay.AllowDial("browsers-dial", ["#browsers"], ["#webapps"]);
        overlay.AllowBind("gateway-bind", ["#gateway"], ["#openai"]);
        overlay.AllowDial("apps-dial-openai", ["#apps"], ["#openai"]);
        var chatIdentity = await EnrollAsync(overlay, "chatapp", "apps");
        var docIdentity = await EnrollAsync(overlay, "docapp", "apps");
        var browserIdentity = await EnrollAsync(overlay, "browser", "browsers");
        var gatewayIdentity = await EnrollAsync(overlay, "aoai-gateway", "gateway");

        // 3. westus reached over the overlay: a gateway identity binds "aoai-westus" and forwards it to
        //    the region, as a host next to a private endpoint would; the apps dial it (UseOverlay below).
        var contextOptions = new OverlayContextOptions();
        var gateway = OverlayContext.Create(gatewayIdentity, contextOptions);
        _stopInReverse.Add(gateway);
        var westus = emulator["westus"];
        _stopInReverse.Add(await OverlayServiceHost.StartAsync(gateway, "aoai-westus", new IPEndPoint(IPAddress.Loopback, westus.Port), cancellationToken: cancellationToken));

        // 4. Tunnels on loopback for the browser, dialing as "browser". Any page the browser opens can
        //    reach them, so each app answers only to its own tunnel's address (not to a DNS-rebinding
        //    page's name) and refuses posts from other sites (UseOverlay's default).
        var browser = OverlayContext.Create(browserIdentity, contextOptions);
        _stopInReverse.Add(browser);
        var chatTunnel = OverlayTunnel.Start(browser, "chatapp", new IPEndPoint(IPAddress.Loopback, 0));
        _stopInReverse.Add(chatTunnel);
        var docTunnel = OverlayTunnel.Start(browser, "docapp", new IPEndPoint(IPAddress.Loopback, 0));
        _stopInReverse.Add(docTunnel);
        ChatUrl = new Uri($"http://127.0.0.1:{chatTunnel.LocalEndPoint.Port}/");
        DocUrl = new Uri($"http://127.0.0.1:{docTunnel.LocalEndPoint.Port}/");

        // 5. The apps, dark: Kestrel serves each only on its overlay binding, and each reaches westus by
        //    dialing "aoai-westus" as itself (the context is the app's, disposed with it).
        Action<SecureOpenAIBuilder> OverWestus(OverlayIdentity app) => openAI => openAI.UseOverlay(o =>
        {
            o.Identity = app;
            o.ContextOptions = contextOptions;
            o.Intercept(westus.Endpoint, "aoai-westus");
        });
        await StartAppAsync("chatapp", chatIdentity, contextOptions, ChatUrl, settings, b => ChatAppHost.ConfigureServices(b, OverWestus(chatIdentity)), app => ChatAppHost.MapEndpoints(app), cancellationToken);
        await StartAppAsync("docapp", docIdentity, contextOptions, DocUrl, settings, b => DocAppHost.ConfigureServices(b, OverWestus(docIdentity)), app => DocAppHost.MapEndpoints(app), cancellationToken);

        await output.WriteLineAsync($"""

            SecureAoai quick start ({identity} identity for the apps; everything on loopback, and the apps listen on no port at all)
              Azure OpenAI emulator  eastus {emulator["eastus"].Endpoint} (throttled: every call fails over)
                                     westus {westus.Endpoint} (the apps reach it over the overlay: service 'aoai-westus')
              overlay controller     {overlay.ControllerAddress}   routers {string.Join(", ", overlay.RouterAddresses)}   (mutual TLS, loopback)
              overlay state          {_directory}
              ChatApp (dark)         service 'chatapp', no TCP port
              DocApp  (dark)         service 'docapp',  no TCP port
              ChatApp via tunnel     {ChatUrl}   (loopback, dials as 'browser')
              DocApp  via tunnel     {DocUrl}   (loopback, dials as 'browser')

            """);
    }

    /// <summary>Stops the first router, as a crash would; the apps and the browser go on through the second. Returns its address.</summary>
    public async Task<string> StopOneRouterAsync()
    {
        var overlay = _overlay ?? throw new InvalidOperationException("The quick start is not started.");
        await overlay.StopRouterAsync(0);
        return overlay.RouterAddresses[0];
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _stopInReverse.Count - 1; i >= 0; i--)
        {
            await _stopInReverse[i].DisposeAsync();
        }

        for (var i = _disposeInReverse.Count - 1; i >= 0; i--)
        {
            _disposeInReverse[i].Dispose();
        }

        foreach (var name in ManagedIdentityVariables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        File.Delete(_tokenFile);
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task<OverlayIdentity> EnrollAsync(EmbeddedOverlay overlay, string name, string role)
    {
        var enrolled = await overlay.EnrollAsync(name, role);
        _disposeInReverse.Add(enrolled);
        return enrolled;
    }

    private async Task StartAppAsync(
        string service,
        OverlayIdentity appIdentity,
        OverlayContextOptions contextOptions,
        Uri tunnel,
        Dictionary<string, string?> settings,
        Func<WebApplicationBuilder, WebApplicationBuilder> configureServices,
        Action<WebApplication> mapEndpoints,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = service, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configureServices(builder);
        builder.WebHost.UseOverlay(o =>
        {
            o.Identity = appIdentity;
            o.ContextOptions = contextOptions;
            o.Bind(service);
            o.AllowedHosts.Clear();
            o.AllowedHosts.Add(tunnel.Authority);
        });
        var app = builder.Build();
        app.UseOverlayIdentity();
        mapEndpoints(app);
        await app.StartAsync(cancellationToken);
        _stopInReverse.Add(app);
    }

    /// <summary>The apps' SecureOpenAI section: two regions in failover order, a managed identity, the emulator's CA.</summary>
    private Dictionary<string, string?> OpenAISettings(EmulatorServer emulator, EmulatorFederation federation)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "eastus",
            ["SecureOpenAI:Endpoints:0:Uri"] = emulator["eastus"].Endpoint.ToString(),
            ["SecureOpenAI:Endpoints:0:Priority"] = "1",
            ["SecureOpenAI:Endpoints:1:Name"] = "westus",
            ["SecureOpenAI:Endpoints:1:Uri"] = emulator["westus"].Endpoint.ToString(),
            ["SecureOpenAI:Endpoints:1:Priority"] = "2",
            ["SecureOpenAI:TrustedCaCertificatePath"] = emulator.CaCertificatePath,
            ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini",
            ["SecureOpenAI:Deployments:embeddings:Name"] = "text-embedding-3-small",
            ["SecureOpenAI:Deployments:embeddings:Kind"] = "Embedding",
        };

        // What the platform would set: IMDS (AKS, VMs), App Service's identity endpoint, or the AKS
        // workload-identity webhook's token file. Here each points at the emulator.
        switch (identity)
        {
            case "imds":
                Environment.SetEnvironmentVariable("AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator.ImdsEndpoint.ToString());
                settings["SecureOpenAI:Credential:Sources:0"] = "ManagedIdentity";
                break;
            case "appservice":
                Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", emulator.AppServiceEndpoint.ToString());
                Environment.SetEnvironmentVariable("IDENTITY_HEADER", emulator.AppServiceIdentityHeader);
                settings["SecureOpenAI:Credential:Sources:0"] = "ManagedIdentity";
                break;
            default:
                var tokenFile = _tokenFile;
                File.WriteAllText(tokenFile, emulator.CreateFederatedToken(federation));
                settings["SecureOpenAI:Credential:Sources:0"] = "WorkloadIdentity";
                settings["SecureOpenAI:Credential:TenantId"] = emulator.TenantId;
                settings["SecureOpenAI:Credential:ClientId"] = federation.ClientId;
                settings["SecureOpenAI:Credential:FederatedTokenFile"] = tokenFile;
                settings["SecureOpenAI:Credential:AuthorityHost"] = emulator.AuthorityHost.ToString();
                break;
        }

        return settings;
    }
}
