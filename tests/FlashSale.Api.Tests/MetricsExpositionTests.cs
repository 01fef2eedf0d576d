using System.Diagnostics.Metrics;
using System.Text;
using FlashSale.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests;

/// <summary>The Prometheus text the collector writes: names, types, escaping, buckets, the series cap, and one host per collector.</summary>
public sealed class MetricsExpositionTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MetricsCollector _collector;
    private readonly Meter _meter;

    public MetricsExpositionTests()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _collector = new MetricsCollector(factory);
        _meter = factory.Create("FlashSale.Test");
    }

    public void Dispose()
    {
        _collector.Dispose();
        _services.Dispose();
    }

    private MetricsScrape Scrape()
    {
        var text = new StringBuilder();
        _collector.WriteTo(text);
        return MetricsScrape.Parse(text.ToString());
    }

    [Fact]
    public async Task Names_get_their_unit_and_total_and_odd_label_values_are_escaped()
    {
        var counter = _meter.CreateCounter<long>("flashsale.test.things", "{thing}", "Things\\counted\nhere");
        var seconds = _meter.CreateCounter<double>("flashsale.test.busy", "s");
        var bytes = _meter.CreateUpDownCounter<long>("flashsale.test.held", "By");
        var odd = "quote \" backslash \\ newline \n and 非ASCII ✓";
        counter.Add(2, new KeyValuePair<string, object?>("what", odd), new KeyValuePair<string, object?>("http.route", "/a"));
        counter.Add(3, new KeyValuePair<string, object?>("http.route", "/a"), new KeyValuePair<string, object?>("what", odd));
        seconds.Add(0.25);
        seconds.Add(0.5);
        bytes.Add(10);
        bytes.Add(-4);

        var scrape = Scrape();
        scrape.Types.Should().Contain(new Dictionary<string, string>
        {
            ["flashsale_test_things_total"] = "counter", ["flashsale_test_busy_seconds_total"] = "counter", ["flashsale_test_held_bytes"] = "gauge",
        });
        scrape.Find("flashsale_test_things_total").Should().ContainSingle("the same tags in another order are the same series")
            .Which.Labels.Should().Equal(new Dictionary<string, string> { ["what"] = odd, ["http_route"] = "/a" });
        scrape.Sum("flashsale_test_things_total").Should().Be(5);
        scrape.Sum("flashsale_test_busy_seconds_total").Should().Be(0.75);
        scrape.Sum("flashsale_test_held_bytes").Should().Be(6);
        scrape.Text.Should().Contain("# HELP flashsale_test_things_total Things\\\\counted\\nhere\n");
        (await MetricsScrape.PromtoolComplaintsAsync(scrape.Text)).Should().BeEmpty();
    }

    [Fact]
    public void Histograms_have_cumulative_buckets_from_the_advice_with_inf_equal_to_the_count()
    {
        var histogram = _meter.CreateHistogram("flashsale.test.wait", "s", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        foreach (var v in new[] { 0.05, 0.1, 0.5, 2, 3 }) histogram.Record(v);

        var scrape = Scrape();
        scrape.Types["flashsale_test_wait_seconds"].Should().Be("histogram");
        scrape.Find("flashsale_test_wait_seconds_bucket").Select(s => (s.Labels["le"], s.Value))
            .Should().Equal(("0.1", 2), ("1", 3), ("+Inf", 5));
        scrape.Sum("flashsale_test_wait_seconds_count").Should().Be(5);
        scrape.Sum("flashsale_test_wait_seconds_sum").Should().BeApproximately(5.65, 1e-9);
    }

    [Fact]
    public void An_instrument_keeps_at_most_the_cap_of_series_and_the_rest_go_to_one_overflow_series()
    {
        var counter = _meter.CreateCounter<long>("flashsale.test.flood");
        for (var i = 0; i < MetricsCollector.MaxSeriesPerInstrument + 500; i++) counter.Add(1, new KeyValuePair<string, object?>("id", i));

        var samples = Scrape().Find("flashsale_test_flood_total").ToList();
        samples.Should().HaveCount(MetricsCollector.MaxSeriesPerInstrument + 1);
        samples.Single(s => s.Labels.ContainsKey("otel_metric_overflow")).Value.Should().Be(500);
        samples.Sum(s => s.Value).Should().Be(MetricsCollector.MaxSeriesPerInstrument + 500, "nothing is lost, only folded");
    }

    [Fact]
    public void Observable_series_no_longer_reported_leave_the_exposition_and_other_hosts_meters_are_not_read()
    {
        var sales = new List<long> { 1, 2 };
        _meter.CreateObservableGauge("flashsale.test.left", () => sales.Select(s => new Measurement<long>(s * 10, new KeyValuePair<string, object?>("sale", s))));
        using var otherHost = new ServiceCollection().AddMetrics().BuildServiceProvider();
        otherHost.GetRequiredService<IMeterFactory>().Create("FlashSale.Test").CreateCounter<long>("flashsale.test.elsewhere").Add(1);
        new Meter("Unrelated.Library").CreateCounter<long>("unrelated.count").Add(1);

        var first = Scrape();
        first.Find("flashsale_test_left").Select(s => s.Value).Should().Equal(10, 20);
        first.Types.Keys.Should().NotContain(["flashsale_test_elsewhere_total", "unrelated_count_total"]);
        sales.Remove(1);
        Scrape().Find("flashsale_test_left").Select(s => s.Labels["sale"]).Should().Equal("2");
    }

    [Fact]
    public void Series_an_observable_instrument_stopped_reporting_are_dropped_and_leave_room_under_the_cap()
    {
        var first = true;
        _meter.CreateObservableGauge("flashsale.test.sales", () => Enumerable.Range(first ? 0 : 10_000, 1_500)
            .Select(i => new Measurement<long>(i, new KeyValuePair<string, object?>("sale", i))));
        Scrape().Find("flashsale_test_sales").Should().HaveCount(1_500);
        first = false;

        var second = Scrape().Find("flashsale_test_sales").ToList();
        second.Should().HaveCount(1_500).And.OnlyContain(s => !s.Labels.ContainsKey("otel_metric_overflow"), "the 1,500 sales of the first reading are gone");
        second.Min(s => s.Value).Should().Be(10_000);
    }

    [Fact]
    public void A_reconciliation_count_is_shown_for_two_intervals_after_its_run()
    {
        var time = new TestClock();
        var metrics = new FlashSale.Core.Telemetry.ReconciliationMetrics(_services.GetRequiredService<IMeterFactory>(), time,
            Microsoft.Extensions.Options.Options.Create(new FlashSale.Core.Reconciliation.ReconciliationOptions { Interval = TimeSpan.FromMinutes(1) }));
        metrics.Ran(7, "needs_attention", 2);
        metrics.Failed();
        time.Now += TimeSpan.FromSeconds(119);
        var shown = Scrape();
        shown.Sum("flashsale_reconciliation_differences", "sale=7").Should().Be(2);
        shown.Sum("flashsale_reconciliation_runs_total", "status=error").Should().Be(1);
        time.Now += TimeSpan.FromSeconds(2);
        Scrape().Find("flashsale_reconciliation_differences").Should().BeEmpty("a count two intervals old may have been fixed since");
    }

    [Theory]
    [InlineData("dotnet.assembly.count", "dotnet_assembly_count_value")]
    [InlineData("9lives.x-y", "_9lives_x_y")]
    public void Gauge_names_never_look_like_a_histograms_series_or_start_with_a_digit(string name, string exported)
    {
        _meter.CreateObservableGauge(name, () => 1);
        Scrape().Types.Should().ContainKey(exported);
    }
}
