using FlashSale.Server.Http;

namespace FlashSale.Server.Apis;

/// <summary>The sale page (/sales/{saleId}), the admin view (/admin) and their fingerprinted assets.</summary>
public static class PagesApi
{
    public static IEndpointRouteBuilder MapPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect("/admin")).ExcludeFromDescription();
        app.MapGet("/sales/{saleId}", (StaticPages pages) => pages.Page("sale.html"));
        app.MapGet("/admin", (StaticPages pages) => pages.Page("admin.html"));
        app.MapGet("/assets/{file}", (string file, StaticPages pages) => pages.Asset(file));
        return app;
    }
}
