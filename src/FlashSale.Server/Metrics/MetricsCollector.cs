using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using FlashSale.Core.Telemetry;

namespace FlashSale.Server.Metrics;

/// <summary>
/// Listens to the exported meters and keeps what Prometheus needs, in memory: counters as running sums, up-down counters
/// and gauges as their value, histograms as buckets; <see cref="WriteTo"/> writes the text exposition (format 0.0.4).
/// A measurement finds its series without a lock or an allocation once the series exists (a scan of the instrument's
/// few series; tags in the same order as the first time, which one call site always gives). Each instrument keeps at
/// most <see cref="MaxSeriesPerInstrument"/> series: past it, measurements go to one series labelled
/// <c>otel_metric_overflow="true"</c>, so no input can grow the memory or the scrape without bound.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    public const int MaxSeriesPerInstrument = 2_000;

    /// <summary>The framework's meters exported beside FlashSale's own.</summary>
    public static readonly IReadOnlySet<string> FrameworkMeters = new HashSet<string>(StringComparer.Ordinal)
    {
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime", "Npgsql",
    };

    private readonly IMeterFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _collection;

    public MetricsCollector(IMeterFactory factory)
    {
        _factory = factory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!Exports(instrument)) return;
            var state = Register(instrument);
            if (state is not null) listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.SetMeasurementEventCallback<long>(static (_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, v, tags, state) => ((InstrumentState)state!).Record((double)v, tags));
        _listener.Start();
    }

    /// <summary>FlashSale's meters and the framework's, each only from this host (a meter made by another host's factory is not ours).</summary>
    private bool Exports(Instrument instrument)
    {
        var meter = instrument.Meter;
        var ours = meter.Scope is null || ReferenceEquals(meter.Scope, _factory);
        return ours && (meter.Name.StartsWith(FlashSaleMeters.Prefix, StringComparison.Ordinal) || FrameworkMeters.Contains(meter.Name));
    }

    private InstrumentState? Register(Instrument instrument)
    {
        var (name, type) = PrometheusNames.Of(instrument);
        lock (_lock)
        {
            if (!_families.TryGetValue(name, out var family))
            {
                // promtool wants help on every family: an instrument without a description is described by its own name.
                family = new Family(name, type, string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description);
                _families.Add(name, family);
            }
            else if (family.Type != type || family.Instruments.Any(i => i.Instrument.Meter.Name == instrument.Meter.Name))
            {
                return null; // one name twice (another kind, or a second instrument of one meter): the first one keeps it
            }
            var state = new InstrumentState(instrument, type, PrometheusNames.BucketsOf(instrument));
            family.Instruments.Add(state);
            return state;
        }
    }

    /// <summary>Reads the observable instruments, then writes every family in the Prometheus text format.</summary>
    public void WriteTo(StringBuilder output)
    {
        lock (_lock)
        {
            var collection = ++_collection;
            foreach (var family in _families.Values) foreach (var state in family.Instruments) state.BeginCollection(collection);
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException)
            {
                // A callback that throws loses its own series this time (they go stale below); the rest are written.
            }
            foreach (var family in _families.Values) foreach (var state in family.Instruments) state.DropStale(collection);
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)) family.WriteTo(output);
        }
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Family(string name, MetricType type, string help)
    {
        public string Name { get; } = name;
        public MetricType Type { get; } = type;
        public List<InstrumentState> Instruments { get; } = [];

        public void WriteTo(StringBuilder output)
        {
            var header = false;
            foreach (var state in Instruments)
            {
                foreach (var series in state.Current())
                {
                    if (!header)
                    {
                        output.Append("# HELP ").Append(Name).Append(' ').Append(PrometheusNames.EscapeHelp(help)).Append('\n');
                        output.Append("# TYPE ").Append(Name).Append(' ').Append(PrometheusNames.TypeName(Type)).Append('\n');
                        header = true;
                    }
                    series.WriteTo(output, Name, Type, state.Buckets);
                }
            }
        }
    }
}

public enum MetricType { Counter, Gauge, Histogram }

/// <summary>One instrument's series. Series are only ever added, to a copy of the array, under the instrument's lock.</summary>
internal sealed class InstrumentState(Instrument instrument, MetricType type, double[] buckets)
{
    public Instrument Instrument { get; } = instrument;

    private static readonly KeyValuePair<string, object?>[] OverflowTags = [new("otel_metric_overflow", "true")];

    private readonly Lock _adding = new();
    private Series[] _series = [];
    private Series? _overflow;
    private long _collection;

    public double[] Buckets { get; } = buckets;

    /// <summary>An observable instrument reports every series afresh on each collection: series it no longer reports are not shown.</summary>
    private bool Observable { get; } = instrument.IsObservable;

    /// <summary>Counters of an observable instrument report their running total, not an increment.</summary>
    private bool Absolute { get; } = PrometheusNames.ReportsValues(instrument);

    public void BeginCollection(long collection) => Volatile.Write(ref _collection, collection);

    /// <summary>An observable instrument's series it did not report in this collection are gone (a sale no longer sampled):
    /// dropped, so they neither show nor count toward the cap.</summary>
    public void DropStale(long collection)
    {
        if (!Observable) return;
        lock (_adding)
        {
            var all = _series;
            if (all.All(s => s.Seen == collection) && (_overflow is null || _overflow.Seen == collection)) return;
            Volatile.Write(ref _series, [.. all.Where(s => s.Seen == collection)]);
            if (_overflow is { } overflow && overflow.Seen != collection) _overflow = null;
        }
    }

    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (type == MetricType.Histogram) series.Observe(value, Buckets);
        else if (Absolute) series.Set(value);
        else series.Add(value);
        if (Observable) series.Seen = Volatile.Read(ref _collection); // only observable series go stale: others write nothing shared
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (type == MetricType.Histogram) series.Observe(value, Buckets);
        else if (Absolute) series.Set(value);
        else series.Add(value);
        if (Observable) series.Seen = Volatile.Read(ref _collection); // only observable series go stale: others write nothing shared
    }

    public IEnumerable<Series> Current()
    {
        foreach (var series in Volatile.Read(ref _series)) yield return series;
        if (_overflow is { } overflow) yield return overflow;
    }

    private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var all = Volatile.Read(ref _series);
        // The tags in the order of their series first (one call site always gives the same order), any order after.
        foreach (var series in all)
        {
            if (series.MatchesInOrder(tags)) return series;
        }
        foreach (var series in all)
        {
            if (series.MatchesAnyOrder(tags)) return series;
        }
        lock (_adding)
        {
            all = _series;
            foreach (var series in all)
            {
                if (series.MatchesAnyOrder(tags)) return series;
            }
            if (all.Length >= MetricsCollector.MaxSeriesPerInstrument && Observable)
            {
                // Mid-collection: series not reported yet in this one may be gone; drop them (one reported later comes back).
                var collection = Volatile.Read(ref _collection);
                all = [.. all.Where(s => s.Seen == collection)];
            }
            if (all.Length >= MetricsCollector.MaxSeriesPerInstrument) return _overflow ??= new Series(OverflowTags, Buckets.Length);
            var added = new Series(tags.ToArray(), Buckets.Length);
            Volatile.Write(ref _series, [.. all, added]);
            return added;
        }
    }
}

/// <summary>One label set's value: a sum, a last value or a histogram.</summary>
internal sealed class Series
{
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly string _labels;
    private readonly long[] _bucketCounts;
    private long _longValue;
    private double _doubleValue;
    private long _count;

    public Series(KeyValuePair<string, object?>[] tags, int buckets)
    {
        _tags = tags;
        _labels = PrometheusNames.Labels(tags);
        _bucketCounts = buckets == 0 ? [] : new long[buckets + 1];
    }

    public long Seen;

    public bool MatchesInOrder(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != _tags.Length) return false;
        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i].Key, _tags[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, _tags[i].Value)) return false;
        }
        return true;
    }

    /// <summary>The same tags in another order (each of the series' own keys is distinct, so equal counts and every tag found is a match).</summary>
    public bool MatchesAnyOrder(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != _tags.Length) return false;
        foreach (var tag in tags)
        {
            var found = false;
            foreach (var own in _tags)
            {
                if (string.Equals(tag.Key, own.Key, StringComparison.Ordinal) && Equals(tag.Value, own.Value)) { found = true; break; }
            }
            if (!found) return false;
        }
        return true;
    }

    public void Add(long value) => Interlocked.Add(ref _longValue, value);

    public void Add(double value)
    {
        double seen, sum;
        do
        {
            seen = Volatile.Read(ref _doubleValue);
            sum = seen + value;
        }
        while (Interlocked.CompareExchange(ref _doubleValue, sum, seen) != seen);
    }

    public void Set(double value)
    {
        Interlocked.Exchange(ref _longValue, 0);
        Interlocked.Exchange(ref _doubleValue, value);
    }

    public void Observe(double value, double[] bounds)
    {
        var i = 0;
        while (i < bounds.Length && value > bounds[i]) i++;
        Interlocked.Increment(ref _bucketCounts[i]);
        Interlocked.Increment(ref _count);
        Add(value);
    }

    public void WriteTo(StringBuilder output, string name, MetricType type, double[] bounds)
    {
        if (type != MetricType.Histogram)
        {
            output.Append(name);
            if (_labels.Length > 0) output.Append('{').Append(_labels).Append('}');
            output.Append(' ').Append(PrometheusNames.Number(Interlocked.Read(ref _longValue) + Volatile.Read(ref _doubleValue))).Append('\n');
            return;
        }
        // Read the buckets first and the count from them, so a scrape during a measurement is still consistent (+Inf == count).
        long cumulative = 0;
        for (var i = 0; i <= bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _bucketCounts[i]);
            output.Append(name).Append("_bucket{");
            if (_labels.Length > 0) output.Append(_labels).Append(',');
            output.Append("le=\"").Append(i < bounds.Length ? PrometheusNames.Number(bounds[i]) : "+Inf").Append("\"} ").Append(cumulative).Append('\n');
        }
        var labels = _labels.Length > 0 ? "{" + _labels + "}" : "";
        output.Append(name).Append("_sum").Append(labels).Append(' ').Append(PrometheusNames.Number(Volatile.Read(ref _doubleValue))).Append('\n');
        output.Append(name).Append("_count").Append(labels).Append(' ').Append(cumulative).Append('\n');
    }
}

/// <summary>The OpenTelemetry-to-Prometheus naming: dots to underscores, unit suffixes, <c>_total</c> for counters; and the text format's escaping.</summary>
public static class PrometheusNames
{
    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    public static (string Name, MetricType Type) Of(Instrument instrument)
    {
        var type = TypeOf(instrument);
        var name = Sanitize(instrument.Name, metric: true);
        var unit = UnitSuffix(instrument.Unit);
        if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal)) name += "_" + unit;
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
        // A gauge named like a histogram's own series (dotnet.assembly.count) would read as one: it gets "_value".
        if (type == MetricType.Gauge && (name.EndsWith("_count", StringComparison.Ordinal) || name.EndsWith("_sum", StringComparison.Ordinal)
            || name.EndsWith("_bucket", StringComparison.Ordinal))) name += "_value";
        return (name, type);
    }

    public static MetricType TypeOf(Instrument instrument)
    {
        var kind = instrument.GetType();
        var definition = kind.IsGenericType ? kind.GetGenericTypeDefinition() : kind;
        if (definition == typeof(Histogram<>)) return MetricType.Histogram;
        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>)) return MetricType.Counter;
        return MetricType.Gauge; // UpDownCounter, ObservableUpDownCounter, ObservableGauge, Gauge
    }

    /// <summary>Whether the instrument reports values rather than increments: observable ones (their running total) and gauges.</summary>
    public static bool ReportsValues(Instrument instrument)
    {
        var kind = instrument.GetType();
        return instrument.IsObservable || (kind.IsGenericType && kind.GetGenericTypeDefinition() == typeof(Gauge<>));
    }

    public static double[] BucketsOf(Instrument instrument)
    {
        if (TypeOf(instrument) != MetricType.Histogram) return [];
        var advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        return advised is { Length: > 0 } ? advised : instrument.Unit == "s" ? SecondsBuckets : DefaultBuckets;
    }

    public static string TypeName(MetricType type) => type switch
    {
        MetricType.Counter => "counter",
        MetricType.Histogram => "histogram",
        _ => "gauge",
    };

    private static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "seconds",
        "ms" => "milliseconds",
        "By" => "bytes",
        _ => "", // annotations ({request}), "1" and the rest add nothing
    };

    /// <summary>A metric or label name: letters, digits and underscores (and colons in metric names), not starting with a digit.</summary>
    public static string Sanitize(string name, bool metric)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (metric && c == ':') ? c : '_');
        }
        if (builder.Length == 0 || char.IsAsciiDigit(builder[0])) builder.Insert(0, '_');
        return builder.ToString();
    }

    /// <summary><c>key="value",...</c> with the values escaped; a key that repeats after sanitizing keeps its first value.</summary>
    public static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var builder = new StringBuilder();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            var key = Sanitize(tag.Key, metric: false);
            if (key.StartsWith("__", StringComparison.Ordinal) || !keys.Add(key)) continue;
            if (builder.Length > 0) builder.Append(',');
            builder.Append(key).Append("=\"").Append(EscapeLabel(Text(tag.Value))).Append('"');
        }
        return builder.ToString();
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string Number(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
