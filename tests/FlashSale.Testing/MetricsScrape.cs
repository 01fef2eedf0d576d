using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace FlashSale.Testing;

/// <summary>One sample line of a Prometheus text exposition.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A <c>/metrics</c> answer, parsed: the families (<c># TYPE</c>) and every sample.</summary>
public sealed class MetricsScrape
{
    private MetricsScrape(string text, IReadOnlyDictionary<string, string> types, IReadOnlyList<MetricSample> samples) =>
        (Text, Types, Samples) = (text, types, samples);

    public string Text { get; }

    /// <summary>Family name to its type (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<MetricSample> Samples { get; }

    /// <summary>GET /metrics with the admin key as a bearer token, as Prometheus sends it.</summary>
    public static async Task<MetricsScrape> ReadAsync(HttpClient http, string? adminKey = TestServices.AdminKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        if (adminKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(200, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        return Parse(text);
    }

    /// <summary>Parses the text format: <c># TYPE</c> lines and <c>name{label="value",...} number</c> lines, with escaped label values.</summary>
    public static MetricsScrape Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<MetricSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
            var name = line[..i];
            if (line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    var eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    i = eq + 2; // past ="
                    var value = new System.Text.StringBuilder();
                    while (line[i] != '"')
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] == 'n' ? '\n' : line[i]);
                        }
                        else
                        {
                            value.Append(line[i]);
                        }
                        i++;
                    }
                    labels[key] = value.ToString();
                    i++; // past "
                    if (line[i] == ',') i++;
                }
                i++; // past }
            }
            var number = line[(i + 1)..].Split(' ')[0];
            samples.Add(new MetricSample(name, labels, number switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(number, CultureInfo.InvariantCulture),
            }));
        }
        return new MetricsScrape(text, types, samples);
    }

    /// <summary>The samples of <paramref name="name"/> whose labels include every pair given ("key=value").</summary>
    public IEnumerable<MetricSample> Find(string name, params string[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l[..l.IndexOf('=')], out var v) && v == l[(l.IndexOf('=') + 1)..]));

    /// <summary>The sum of the matching samples (0 when there is none).</summary>
    public double Sum(string name, params string[] labels) => Find(name, labels).Sum(s => s.Value);

    /// <summary>promtool's own check of the exposition (<c>promtool check metrics</c>): its complaints, empty when it accepts.</summary>
    public static async Task<string> PromtoolComplaintsAsync(string text)
    {
        var start = new ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("promtool is missing: scripts/test.sh installs Debian's prometheus package, which has it", ex);
        }
        using (process)
        {
            await process.StandardInput.WriteAsync(text);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var said = (await output + await error).Trim();
            return process.ExitCode == 0 ? "" : $"promtool exit {process.ExitCode}: {said}";
        }
    }
}
