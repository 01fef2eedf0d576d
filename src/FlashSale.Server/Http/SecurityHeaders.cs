using Microsoft.Extensions.Primitives;

namespace FlashSale.Server.Http;

/// <summary>
/// Every answer carries <c>X-Content-Type-Options: nosniff</c>: a JSON or problem+json answer is never sniffed into HTML
/// or script. The pages add <see cref="PagePolicy"/> (scripts, styles, images and connections from this server only, in
/// no frame, no plugins, no &lt;base&gt;: the pages hold no inline script, style or handler) and
/// <c>Referrer-Policy: no-referrer</c>.
/// </summary>
public static class SecurityHeaders
{
    public const string PagePolicy = "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";
    public const string ReferrerPolicy = "no-referrer";

    private static readonly StringValues NoSniff = "nosniff";
    private static readonly StringValues NoReferrer = ReferrerPolicy;
    private static readonly StringValues Page = PagePolicy;

    /// <summary>Sets the headers of every answer before the request goes on (the error handler sets them again after it clears a response).</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            Apply(context.Response);
            return next(context);
        });
        return app;
    }

    public static void Apply(HttpResponse response) => response.Headers.XContentTypeOptions = NoSniff;

    /// <summary>A page's own headers, on top of <see cref="Apply"/>.</summary>
    public static void ApplyPage(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = Page;
        response.Headers["Referrer-Policy"] = NoReferrer;
    }
}
