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
    });
}

var app = builder.Build();
if (identityFile is not null)
{
    app.UseOverlayIdentity();
}

DocAppHost.MapEndpoints(app);
app.Run();
