using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FlashSale.Server.Http;

/// <summary>
/// The sale page and the admin view, served from the binary. Assets get content-hashed names and a
/// year-long immutable cache, so a CDN carries them; pages are cached briefly and name the current
/// assets, so a new release is picked up within seconds.
/// </summary>
public sealed partial class StaticPages
{
    public const string AssetCache = "public, max-age=31536000, immutable";
    public const string PageCache = "public, max-age=10";

    private readonly Dictionary<string, (byte[] Body, string ContentType)> _assets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _pages = new(StringComparer.Ordinal);

    public StaticPages()
    {
        var assembly = typeof(StaticPages).Assembly;
        var fingerprinted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/assets/", StringComparison.Ordinal)))
        {
            var body = Read(name);
            var file = name["wwwroot/assets/".Length..];
            var hash = Convert.ToHexString(SHA256.HashData(body))[..12].ToLowerInvariant();
            var hashed = $"{Path.GetFileNameWithoutExtension(file)}.{hash}{Path.GetExtension(file)}";
            _assets[hashed] = (body, ContentTypeOf(file));
            fingerprinted[file] = "/assets/" + hashed;
        }
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal) && n.EndsWith(".html", StringComparison.Ordinal)))
        {
            var html = Encoding.UTF8.GetString(Read(name));
            html = AssetReference().Replace(html, m => fingerprinted.TryGetValue(m.Groups[1].Value, out var url)
                ? url
                : throw new InvalidOperationException($"{name} names a missing asset {m.Groups[1].Value}"));
            _pages[name["wwwroot/".Length..]] = Encoding.UTF8.GetBytes(html);
        }
    }

    public IResult Page(string file) => new BytesResult(_pages[file], "text/html; charset=utf-8", PageCache, page: true);

    public IResult Asset(string file) => _assets.TryGetValue(file, out var asset)
        ? new BytesResult(asset.Body, asset.ContentType, AssetCache, page: false)
        : Results.NotFound();

    private static byte[] Read(string name)
    {
        using var stream = typeof(StaticPages).Assembly.GetManifestResourceStream(name)!;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    [GeneratedRegex(@"\{\{asset:([A-Za-z0-9_.-]+)\}\}")]
    private static partial Regex AssetReference();

    /// <param name="page">An HTML page: it gets the pages' security headers (<see cref="SecurityHeaders.ApplyPage"/>).</param>
    private sealed class BytesResult(byte[] body, string contentType, string cacheControl, bool page) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            response.Headers.CacheControl = cacheControl;
            SecurityHeaders.Apply(response);
            if (page) SecurityHeaders.ApplyPage(response);
            return response.Body.WriteAsync(body).AsTask();
        }
    }
}
