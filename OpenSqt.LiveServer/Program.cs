using OpenSqt.LiveServer.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLiveServer();

var app = builder.Build();
app.MapLiveServer();
app.Run();
