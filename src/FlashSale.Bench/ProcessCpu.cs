using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace FlashSale.Bench;

/// <summary>CPU time a process used, read from /proc/&lt;pid&gt;/stat; Linux only.</summary>
public static partial class ProcessCpu
{
    private static readonly Lazy<double> TicksPerSecond = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", ["CLK_TCK"]) { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return double.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    });

    /// <summary>The fields of a /proc/&lt;pid&gt;/stat line the bench reads: the parent, and the CPU ticks of the
    /// process itself and of its children that have exited and been waited for.</summary>
    public readonly record struct Stat(int ParentId, long UserTicks, long SystemTicks, long ChildUserTicks, long ChildSystemTicks)
    {
        public long OwnTicks => UserTicks + SystemTicks;
        public long AllTicks => OwnTicks + ChildUserTicks + ChildSystemTicks;
    }

    /// <summary>
    /// Parses one /proc/&lt;pid&gt;/stat line. The command name (field 2) is in parentheses and may hold spaces and
    /// parentheses itself, so the fields are counted from the last ')'.
    /// </summary>
    public static Stat? Parse(string line)
    {
        var close = line.LastIndexOf(')');
        if (close < 0) return null;
        var rest = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
        if (rest.Length < 15) return null;
        long Field(int number) => long.Parse(rest[number - 3], CultureInfo.InvariantCulture);
        return new Stat((int)Field(4), Field(14), Field(15), Field(16), Field(17));
    }

    public static Stat? Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>This process's own CPU seconds (its children not included: the bench's children are the servers and wrk).</summary>
    public static double OwnSeconds(int pid) => (Read(pid)?.OwnTicks ?? 0) / TicksPerSecond.Value;

    /// <summary>
    /// CPU seconds of a process and all its live descendants, each with its waited-for children: a PostgreSQL
    /// postmaster and its backends, which come and go with connections (an ended backend's time moves into the
    /// postmaster's child time, so the sum never goes back). The difference of two readings is what the tree used between them.
    /// </summary>
    public static double TreeSeconds(int root)
    {
        var stats = new Dictionary<int, Stat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } stat) stats[pid] = stat;
        }
        if (!stats.ContainsKey(root)) return 0;
        var children = stats.GroupBy(s => s.Value.ParentId).ToDictionary(g => g.Key, g => g.Select(s => s.Key).ToList());
        long ticks = 0;
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            ticks += stats[pid].AllTicks;
            foreach (var child in children.GetValueOrDefault(pid) ?? []) pending.Push(child);
        }
        return ticks / TicksPerSecond.Value;
    }

    /// <summary>The process listening on a local TCP port, from <c>ss -ltnpH</c>; null when none is found (or ss is missing).</summary>
    public static int? ListeningOn(int port)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("ss", ["-ltnpH", $"sport = :{port}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return ListenerIn(output, port);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The pid of the listener on <paramref name="port"/> in lines of <c>ss -ltnpH</c>.</summary>
    public static int? ListenerIn(string ssOutput, int port)
    {
        foreach (var line in ssOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // State Recv-Q Send-Q Local:Port Peer:Port Process
            if (columns.Length < 6 || !columns[3].EndsWith(":" + port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)) continue;
            if (PidPattern().Match(line) is { Success: true } match) return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex PidPattern();
}

/// <summary>One process (or process tree) whose CPU a phase reports.</summary>
/// <param name="LoadClient">The client side (wrk, the bench): left out of the "without the load client" total.</param>
public sealed record CpuSource(string Name, Func<double> ReadSeconds, bool LoadClient = false);

/// <summary>What one process used during a phase.</summary>
public sealed record ProcessCpuUse(string Process, double Seconds, bool LoadClient);

/// <summary>The processes of a deployment whose CPU the bench reads around each phase.</summary>
public sealed class CpuProbe(IReadOnlyList<CpuSource> sources)
{
    public IReadOnlyList<CpuSource> Sources => sources;

    public double[] Read() => sources.Select(s => s.ReadSeconds()).ToArray();

    /// <summary>Each source's CPU between two readings, plus extra uses measured otherwise (wrk's, from its exit).</summary>
    public List<ProcessCpuUse> Between(double[] before, double[] after, params ProcessCpuUse[] extra) =>
        [.. sources.Select((s, i) => new ProcessCpuUse(s.Name, Math.Max(0, after[i] - before[i]), s.LoadClient)), .. extra];

    /// <summary>Redis, RabbitMQ and PostgreSQL found by the ports of their connection strings; a service not found is left out (with a note).</summary>
    public static List<CpuSource> Services(IReadOnlyDictionary<string, string> connections)
    {
        var sources = new List<CpuSource>();
        void Add(string name, int? port)
        {
            var pid = port is { } p ? ProcessCpu.ListeningOn(p) : null;
            if (pid is { } found) sources.Add(new CpuSource(name, () => ProcessCpu.TreeSeconds(found)));
            else Console.Error.WriteLine($"  (no local process found listening for {name}: its CPU is not reported)");
        }
        Add("redis", connections.TryGetValue("ConnectionStrings__Redis", out var redis) ? RedisPort(redis) : null);
        Add("rabbitmq", connections.TryGetValue("ConnectionStrings__RabbitMq", out var rabbit) && Uri.TryCreate(rabbit, UriKind.Absolute, out var uri) ? (uri.IsDefaultPort ? 5672 : uri.Port) : null);
        Add("postgres", connections.TryGetValue("ConnectionStrings__Postgres", out var pg) ? new NpgsqlConnectionStringBuilder(pg).Port : null);
        return sources;
    }

    /// <summary>The port of a StackExchange.Redis configuration string's first endpoint ("host:port,option=…").</summary>
    public static int? RedisPort(string configuration)
    {
        var endpoint = configuration.Split(',')[0];
        var colon = endpoint.LastIndexOf(':');
        return colon < 0 ? 6379 : int.TryParse(endpoint[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
    }
}
