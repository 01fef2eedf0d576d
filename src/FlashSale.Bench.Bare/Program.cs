using System.Globalization;
using FlashSale.Bench.Bare;
using Microsoft.AspNetCore.Http.HttpResults;

// The bench's HTTP ceiling: ASP.NET Core with nothing of FlashSale in it. POST /api/sales/{saleId}/purchase
// reads the purchase's JSON body ({"quantity":1,"requestId":"..."}) and answers 202 {"orderId":"<n>","status":"queued"}
// with a fresh number, as the real endpoint's answer looks; no authentication, no other work. GET /health/live
// answers 200, for whoever starts it to know it is up.
//   dotnet FlashSale.Bench.Bare.dll --urls http://127.0.0.1:5090
var builder = WebApplication.CreateSlimBuilder(args);
// Loopback only, unless told otherwise.
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://127.0.0.1:5090");
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJson.Default));
var app = builder.Build();

var orders = 0L;
app.MapGet("/health/live", () => TypedResults.Text("ok"));
app.MapPost("/api/sales/{saleId}/purchase", Results<Accepted<BareAccepted>, BadRequest> (string saleId, BarePurchase body) =>
{
    if (body.Quantity is null || string.IsNullOrEmpty(body.RequestId)) return TypedResults.BadRequest();
    var orderId = Interlocked.Increment(ref orders).ToString(CultureInfo.InvariantCulture);
    return TypedResults.Accepted("/api/orders/" + orderId, new BareAccepted(orderId, "queued"));
});
await app.RunAsync();
