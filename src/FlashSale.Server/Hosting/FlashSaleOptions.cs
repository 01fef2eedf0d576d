namespace FlashSale.Server.Hosting;

public sealed class FlashSaleOptions
{
    public const string Section = "FlashSale";

    /// <summary>Distributed: Redis + RabbitMQ + PostgreSQL. (Embedded is the next milestone.)</summary>
    public string Mode { get; set; } = "Distributed";

    /// <summary>Comma-separated: api, worker, or both.</summary>
    public string Roles { get; set; } = "api,worker";

    /// <summary>Required in production; the X-Admin-Key header value for admin calls.</summary>
    public string? AdminKey { get; set; }

    public AuthOptions Auth { get; set; } = new();

    public bool HasRole(string role) =>
        Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(role, StringComparer.OrdinalIgnoreCase);
}

public sealed class AuthOptions
{
    /// <summary>HS256 key for user tokens, at least 32 characters. Required in production.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Serve POST /api/dev/token. Defaults to on in Development, off elsewhere.</summary>
    public bool? DevTokens { get; set; }

    public string Issuer { get; set; } = "flashsale";

    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(12);
}
