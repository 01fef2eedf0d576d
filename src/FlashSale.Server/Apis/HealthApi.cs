using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlashSale.Server.Apis;

/// <summary>/health/live (the process answers) and /health/ready (every dependency's check: each adapter adds its own).</summary>
public static class HealthApi
{
    internal static readonly HealthCheckOptions Live = new() { Predicate = _ => false, ResponseWriter = WriteAsync };
    internal static readonly HealthCheckOptions Ready = new() { ResponseWriter = WriteAsync };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant());
        var status = report.Status == HealthStatus.Healthy ? "ready" : "not_ready";
        if (report.Entries.Count == 0) status = "live";
        return context.Response.WriteAsJsonAsync(new HealthResponse(status, checks), HealthJson.Default.HealthResponse);
    }
}

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, string> Checks);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthResponse))]
public sealed partial class HealthJson : JsonSerializerContext;
