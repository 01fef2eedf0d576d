using System.Text;

namespace FlashSale.Server.Tests.Operations;

/// <summary>
/// deploy/grafana/flashsale.json is a dashboard Grafana imports: a data source variable every panel uses, a sale
/// variable, panels with PromQL targets that Prometheus parses. (That every metric it reads is exported: <see cref="MonitoringLiveTests"/>.)
/// </summary>
public sealed class DashboardTests
{
    [Fact]
    public void The_dashboard_is_importable_with_a_data_source_variable_and_a_sale_variable()
    {
        var dashboard = MonitoringFiles.DashboardJson();
        dashboard["schemaVersion"]!.GetValue<int>().Should().BeInRange(36, 41);
        dashboard["uid"]!.GetValue<string>().Should().Be("flashsale");
        dashboard["title"]!.GetValue<string>().Should().NotBeEmpty();

        var variables = dashboard["templating"]!["list"]!.AsArray().Select(v => v!.AsObject()).ToDictionary(v => v["name"]!.GetValue<string>());
        variables.Should().ContainKeys("DS_PROMETHEUS", "sale");
        variables["DS_PROMETHEUS"]["type"]!.GetValue<string>().Should().Be("datasource");
        variables["DS_PROMETHEUS"]["query"]!.GetValue<string>().Should().Be("prometheus");
        variables["sale"]["type"]!.GetValue<string>().Should().Be("query");
        variables["sale"]["datasource"]!["uid"]!.GetValue<string>().Should().Be("${DS_PROMETHEUS}");

        var panels = MonitoringFiles.DashboardPanels().ToList();
        panels.Should().HaveCountGreaterThanOrEqualTo(15);
        dashboard["panels"]!.AsArray().Select(p => p!["id"]!.GetValue<int>()).Should().OnlyHaveUniqueItems();
        foreach (var panel in panels)
        {
            var title = panel["title"]!.GetValue<string>();
            panel["datasource"]!["uid"]!.GetValue<string>().Should().Be("${DS_PROMETHEUS}", title);
            var targets = panel["targets"]!.AsArray();
            targets.Should().NotBeEmpty(title);
            foreach (var target in targets) target!["expr"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace(title);
            var grid = panel["gridPos"]!;
            (grid["x"]!.GetValue<int>() + grid["w"]!.GetValue<int>()).Should().BeLessThanOrEqualTo(24, title);
        }

        // What the operator looks at: each area of the catalog has its panel.
        var exprs = string.Join('\n', MonitoringFiles.DashboardExpressions().Select(e => e.Expr));
        foreach (var metric in (string[])["flashsale_purchase_answers_total", "http_server_request_duration_seconds_bucket", "flashsale_stock_left",
            "flashsale_sold", "flashsale_ledger_unrelayed", "flashsale_queue_depth", "flashsale_persistence_lag_seconds_bucket", "flashsale_dead_letters",
            "flashsale_payments_total", "flashsale_cancellations_total", "flashsale_refunds_total", "flashsale_dependency_up", "dotnet_"])
            exprs.Should().Contain(metric);
        foreach (var quantile in (string[])["0.50", "0.95", "0.99"]) exprs.Should().Contain($"histogram_quantile({quantile},");
    }

    [Fact]
    public async Task Every_panel_query_is_valid_promql() => await ValidPromQlAsync(MonitoringFiles.DashboardExpressions());

    [Fact]
    public async Task Every_query_of_the_operations_guide_is_valid_promql()
    {
        var queries = MonitoringFiles.OperationsDocExpressions().ToList();
        queries.Should().HaveCountGreaterThanOrEqualTo(10, "the guide's table of what to watch is read");
        await ValidPromQlAsync(queries);
    }

    private static async Task ValidPromQlAsync(IEnumerable<(string Panel, string Expr)> expressions)
    {
        // promtool parses rule files offline: each query (Grafana's variables replaced by what they stand for) as a recording rule.
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var i = 0;
        foreach (var (panel, expr) in expressions)
        {
            var promql = expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$__range", "1h", StringComparison.Ordinal)
                .Replace("$__interval", "15s", StringComparison.Ordinal).Replace("$sale", ".*", StringComparison.Ordinal);
            rules.Append("      # ").Append(panel).Append('\n')
                .Append("      - record: dashboard:query_").Append(i++).Append('\n')
                .Append("        expr: '").Append(promql.Replace("'", "''", StringComparison.Ordinal)).Append("'\n");
        }
        var file = Path.Combine(Path.GetTempPath(), $"flashsale-dashboard-{Guid.NewGuid():N}.rules.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        try
        {
            var (exitCode, output) = await Tool.RunAsync("promtool", "check", "rules", file);
            exitCode.Should().Be(0, output + "\n" + rules);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Metric_names_are_read_from_promql_without_functions_labels_or_grouping()
    {
        PromQl.MetricNames("""
            histogram_quantile(0.99, sum by (job, le) (rate(http_server_request_duration_seconds_bucket{http_route="/api/sales/{saleId}/purchase"}[1m]))) > 0.1
            and on (job) sum without (instance) (rate(x_total{code=~"5..",sale=~"$sale"}[$__rate_interval] offset 5m)) > 1e3
            or max by (sale) (flashsale_sold) > on (sale) group_left () max(y:recorded) unless up{job=~".*flashsale.*"} == bool 0
            """).Should().BeEquivalentTo(["http_server_request_duration_seconds_bucket", "x_total", "flashsale_sold", "y:recorded", "up"]);
    }
}
