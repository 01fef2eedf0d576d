using System.Text.Json;

namespace FlashSale.Testing;

/// <summary>
/// A server's console log outside Development: one JSON object per line (LogLevel, Category, Message, Exception, State,
/// Scopes). The lines that are not JSON (standard error's "FlashSale cannot start: ...") are left out.
/// </summary>
public static class ServerLog
{
    public sealed record Entry(string LogLevel, string Category, string Message, string? Exception, JsonElement Line)
    {
        public bool IsError => LogLevel is "Error" or "Critical";

        /// <summary>The TraceId of the span current when the line was written (from its scopes), if any.</summary>
        public string? TraceId => Scope("TraceId");

        public string? SpanId => Scope("SpanId");

        private string? Scope(string name)
        {
            if (!Line.TryGetProperty("Scopes", out var scopes) || scopes.ValueKind != JsonValueKind.Array) return null;
            foreach (var scope in scopes.EnumerateArray())
            {
                if (scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty(name, out var value)) return value.GetString();
            }
            return null;
        }

        public override string ToString() => Line.GetRawText();
    }

    /// <summary>The lines of <paramref name="log"/> that are JSON log entries.</summary>
    public static IReadOnlyList<Entry> Entries(string log) =>
        Lines(log).Where(l => l.StartsWith('{')).Select(Parse).ToList();

    /// <summary>One line as a log entry; throws when it is not one.</summary>
    public static Entry Parse(string line)
    {
        var root = JsonDocument.Parse(line).RootElement.Clone();
        return new Entry(root.GetProperty("LogLevel").GetString()!, root.GetProperty("Category").GetString()!, root.GetProperty("Message").GetString()!,
            root.TryGetProperty("Exception", out var exception) ? exception.GetString() : null, root);
    }

    public static IEnumerable<string> Lines(string log) => log.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);
}
