namespace FlashSale.Server.Hosting;

public sealed class FlashSaleOptions
{
    public const string Section = "FlashSale";

    /// <summary>Embedded (default): one process, in-process gate, SQLite. Distributed: Redis + RabbitMQ + PostgreSQL.</summary>
    public string Mode { get; set; } = "Embedded";

    /// <summary>Distributed mode's stock gate: redis (the funnel), or the seeds' baselines database-pessimistic,
    /// database-optimistic, and database-naive (unsafe: oversells; only to show the benchmark's audit at work).</summary>
    public string Gate { get; set; } = "redis";

    /// <summary>Serve POST /api/bench/echo, the benchmark's HTTP ceiling (authenticated, reads the body, decides nothing).</summary>
    public bool BenchEndpoints { get; set; }

    /// <summary>Comma-separated: api, worker, or both.</summary>
    public string Roles { get; set; } = "api,worker";

    /// <summary>Required in production; the X-Admin-Key header value for admin calls.</summary>
    public string? AdminKey { get; set; }

    public AuthOptions Auth { get; set; } = new();

    public EmbeddedOptions Embedded { get; set; } = new();

    public bool IsEmbedded => string.Equals(Mode, "Embedded", StringComparison.OrdinalIgnoreCase);

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

public sealed class EmbeddedOptions
{
    /// <summary>The SQLite file (relative to the working directory); created with its folder on first run.</summary>
    public string DatabasePath { get; set; } = "flashsale-data/flashsale.db";

    /// <summary>Upper bound on the database file; writes beyond it fail like a full disk (503, nothing lost).</summary>
    public int? MaxDatabaseSizeMb { get; set; }

    /// <summary>On a first run (no sale in the database), create a demo sale starting a minute after start-up.</summary>
    public bool DemoSale { get; set; } = true;
}
