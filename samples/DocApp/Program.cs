// Ask questions about your own documents: upload text, markdown or PDF, and get answers that cite the
// passages they were drawn from. Configure the "SecureOpenAI" section with a chat and an embedding
// deployment and the credential, as in the repository's README.md.
using DocApp;

//
// Dark: with Overlay:IdentityFile set (an identity enrolled with 'secureaoai overlay enroll'), the app
// binds the overlay service Overlay:Service (default "docapp") and listens on no TCP port; callers
// are overlay identities. Without it, it serves on TCP as any ASP.NET Core app (for development).
var builder = WebApplication.CreateBuilder(args);
DocAppHost.ConfigureServices(builder);
var identityFile = builder.Configuration["Overlay:IdentityFile"];
if (identityFile is not null)
{
    builder.WebHost.UseOverlay(o =>
    {
        o.IdentityFile = identityFile;
        o.Bind(builder.Configuration["Overlay:Service"] ?? "docapp");
        // The Host names the app answers to: by default loopback (a browser tunnel) and the service name.
        // Set Overlay:AllowedHosts (';'-separated) to the tunnel's exact address, such as 127.0.0.1:8080.
        if (builder.Configuration["Overlay:AllowedHosts"] is { Length: > 0 } hosts)
        {
            o.AllowedHosts.Clear();
            foreach (var host in hosts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                o.AllowedHosts.Add(host);
            }
        }
    });
}

var app = builder.Build();
if (identityFile is not null)
{
    app.UseOverlayIdentity();
}

DocAppHost.MapEndpoints(app);
app.Run();
