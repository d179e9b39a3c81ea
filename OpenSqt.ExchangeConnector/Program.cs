using OpenSqt.ExchangeConnector.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddExchangeConnector();

var app = builder.Build();
app.MapExchangeConnector();
app.Run();
