// Ask questions about your own documents: upload text, markdown or PDF, and get answers that cite the
// passages they were drawn from. Configure the "SecureOpenAI" section with a chat and an embedding
// deployment and the credential, as in the repository's README.md.
using DocApp;

var builder = WebApplication.CreateBuilder(args);
DocAppHost.ConfigureServices(builder);
var app = builder.Build();
DocAppHost.MapEndpoints(app);
app.Run();
