// A web chat over Azure OpenAI: one conversation per caller, answers streamed as they are written.
// Configure the "SecureOpenAI" section (endpoint, a chat deployment, the credential), as in the repository's README.md.
using ChatApp;

var builder = WebApplication.CreateBuilder(args);
ChatAppHost.ConfigureServices(builder);
var app = builder.Build();
ChatAppHost.MapEndpoints(app);
app.Run();
