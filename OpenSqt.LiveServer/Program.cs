using OpenSqt.LiveServer.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLiveServer();

var app = builder.Build();
app.MapLiveServer();
app.Run();

/// <summary>Entry point, visible to tests that host the LiveServer.</summary>
public partial class Program;
