using System.ComponentModel.DataAnnotations;

namespace FlashSale.Core.Gateway;

/// <summary>The gateway layers' defaults (FlashSale:Gateway); a sale's <see cref="Sales.SaleGatewayRules"/> overrides some.</summary>
public sealed class GatewayOptions
{
    public const string Section = "FlashSale:Gateway";

    /// <summary>Purchase attempts per second one process lets through; set it to about 1.2x the expected peak. 0 = off.</summary>
    [Range(0, 10_000_000)] public int GlobalTokensPerSecond { get; set; }

    /// <summary>Burst the global bucket holds; 0 = one second's worth.</summary>
    [Range(0, 10_000_000)] public int GlobalBurst { get; set; }

    /// <summary>Purchase attempts per user in <see cref="Window"/>, across all API processes. 0 = off.</summary>
    [Range(0, 1_000_000)] public int UserRequestsPerWindow { get; set; } = 5;

    /// <summary>Purchase attempts per client IP in <see cref="Window"/>, across all API processes. 0 = off.</summary>
    [Range(0, 1_000_000)] public int IpRequestsPerWindow { get; set; } = 50;

    /// <summary>The sliding window of the per-user and per-IP limits.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")] public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests for a challenge or a purchase token per user in <see cref="ChallengeWindow"/>, across all API processes
    /// (a human asks a few: one question per sale, another after a wrong answer). 0 = off.</summary>
    [Range(0, 1_000_000)] public int ChallengeUserRequestsPerWindow { get; set; } = 20;

    /// <summary>Requests for a challenge or a purchase token per client IP in <see cref="ChallengeWindow"/>; NAT shares addresses,
    /// so keep it well above the per-user limit. 0 = off.</summary>
    [Range(0, 1_000_000)] public int ChallengeIpRequestsPerWindow { get; set; } = 1_000;

    /// <summary>The sliding window of the challenge limits, apart from the purchase windows.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")] public TimeSpan ChallengeWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Signs challenges and purchase tokens (at least 32 characters). Required outside Development.</summary>
    public string? TokenSecret { get; set; }

    /// <summary>How long before the start challenges are handed out (five seconds: time to read the question, too short to farm it out).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")] public TimeSpan ChallengeLeadTime { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")] public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a purchase token is good for: seconds, not minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")] public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(30);

    public RiskOptions Risk { get; set; } = new();
}

/// <summary>Seed 004's risk rules: each signal above its bar adds its weight to the score.</summary>
public sealed class RiskOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>From this score on a purchase needs a fresh captcha token.</summary>
    public int ChallengeScore { get; set; } = 50;

    /// <summary>From this score on a purchase is refused (403 risk_rejected).</summary>
    public int RejectScore { get; set; } = 80;

    /// <summary>How far back devices per user and users per IP are counted.</summary>
    public TimeSpan SignalWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests by the user in the rate window above which "frequency" counts.</summary>
    public int FrequentRequests { get; set; } = 3;
    public int FrequencyWeight { get; set; } = 20;

    /// <summary>Accounts younger than this (token claim <c>account_created</c>, unix seconds) count as new.</summary>
    public TimeSpan NewAccountAge { get; set; } = TimeSpan.FromDays(1);
    public int NewAccountWeight { get; set; } = 30;

    public int DevicesPerUser { get; set; } = 3;
    public int DevicesPerUserWeight { get; set; } = 40;

    public int UsersPerIp { get; set; } = 20;
    public int UsersPerIpWeight { get; set; } = 60;

    /// <summary>
    /// No valid X-Device-Id header (the sale page always sends one). Alone it stays below <see cref="ChallengeScore"/>; with a
    /// new account it asks for a captcha, and with a crowded IP it refuses.
    /// </summary>
    public int MissingDeviceWeight { get; set; } = 20;
}
