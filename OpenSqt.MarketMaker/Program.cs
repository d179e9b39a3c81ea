using OpenSqt.MarketMaker.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMarketMaker();

var app = builder.Build();
app.MapMarketMaker();
app.Run();

/// <summary>Entry point, visible to tests that host the engine.</summary>
public partial class Program;
