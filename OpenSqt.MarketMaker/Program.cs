using OpenSqt.MarketMaker.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMarketMaker();

var app = builder.Build();
app.MapMarketMaker();
app.Run();
