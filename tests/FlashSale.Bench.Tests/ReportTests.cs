namespace FlashSale.Bench.Tests;

/// <summary>What fails a run and says why, the targets' verdicts, and the CPU table, on figures made up for the test.</summary>
public sealed class ReportTests
{
    private static readonly BenchSettings Settings = new(100, 10, 100, 8, 8, ["redis"], "", Ceilings: true, new WrkSettings(2, 16, 1));

    private static BenchRun NewRun() => new(Settings, [], [], [], []);

    private static WrkSummary Wrk(long requests, long accepted, long distinct, Dictionary<string, long>? statuses = null, Dictionary<string, long>? codes = null, long timeouts = 0) =>
        new(requests, 1.0, statuses ?? new Dictionary<string, long> { ["202"] = accepted }, codes ?? [], accepted, distinct,
            new Dictionary<string, long> { ["connect"] = 0, ["read"] = 0, ["write"] = 0, ["status"] = 0, ["timeout"] = timeouts }, 1, 2, 3, 4, 5, 0.1, "");

    private static StrategyResult Race(string strategy, AuditResult audit, IReadOnlyDictionary<string, long>? unresolved = null, long retries = 0) =>
        new(strategy, 100, 1, 100, 0, 0, 1, 2, 3, 4, 5, new Dictionary<string, long>(), 10, audit, 0, 0, 0, 0, [], [], null, retries,
            new Dictionary<string, long> { ["accepted"] = retries }, unresolved ?? new Dictionary<string, long>());

    private static readonly AuditResult Clean = new(10, 10, 10, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_clean_race_fails_nothing_and_its_retries_are_a_note()
    {
        var run = NewRun();
        Scenarios.JudgeRace(run, Race("redis", Clean, retries: 3));
        run.Failures.Should().BeEmpty();
        run.Notes.Should().ContainSingle().Which.Should().Contain("3 retries with the same requestId").And.Contain("accepted 3");
    }

    [Fact]
    public void Purchases_still_unanswered_after_every_retry_and_a_failed_audit_each_fail_the_run_with_a_reason()
    {
        var run = NewRun();
        Scenarios.JudgeRace(run, Race("database-optimistic", Clean, new Dictionary<string, long> { ["unavailable"] = 3, ["transport_error"] = 1 }));
        Scenarios.JudgeRace(run, Race("database-naive", Clean with { OversoldUnits = 4 }));

        run.Failures.Should().BeEquivalentTo(
            "database-optimistic: 3 purchases answered 503 unavailable after 5 retries with the same requestId",
            "database-optimistic: 1 purchases got no answer (transport error) after 5 retries with the same requestId",
            "database-naive: audit failed: oversold 4, users over limit 0, 202s without order 0");
    }

    [Fact]
    public void A_contested_phase_fails_on_replays_on_acceptances_its_answers_cannot_explain_and_on_orders_never_persisted()
    {
        PhaseResult Phase(WrkSummary wrk, long accepted, double? persistedWithin = 0.5) => new("redis", PhaseResult.Contested, wrk, accepted, persistedWithin, 1, []);

        var clean = NewRun();
        // Up to one request per connection (16) may still be in flight when wrk stops.
        Scenarios.JudgeContested(clean, Phase(Wrk(1_000, 1_000, 1_000), 1_016), 1_016);
        clean.Failures.Should().BeEmpty();

        var replays = NewRun();
        Scenarios.JudgeContested(replays, Phase(Wrk(1_000, 1_000, 600), 600), 600);
        replays.Failures.Should().Equal("redis contested: 1,000 202s carried 600 distinct orderIds (replayed requestIds?)");

        var unexplained = NewRun();
        Scenarios.JudgeContested(unexplained, Phase(Wrk(1_000, 1_000, 1_000, timeouts: 4), 1_100), 1_100);
        unexplained.Failures.Should().ContainSingle().Which.Should().Be(
            "redis contested: the server counts 1,100 accepted units, 100 more than wrk's 202s; only 4 requests went unanswered or answered 5xx, and at most 16 were in flight when wrk stopped");

        var unpersisted = NewRun();
        Scenarios.JudgeContested(unpersisted, Phase(Wrk(1_000, 1_000, 1_000), 1_000, persistedWithin: null), 990);
        unpersisted.Failures.Should().ContainSingle().Which.Should().Be("redis contested: 10 of 1,000 accepted orders not persisted 120 s after the end");
    }

    [Fact]
    public void A_503_in_a_wrk_phase_is_a_note_and_any_other_5xx_fails_the_run()
    {
        var run = NewRun();
        var wrk = Wrk(100, 90, 90, new Dictionary<string, long> { ["202"] = 90, ["503"] = 7, ["500"] = 3 }, new Dictionary<string, long> { ["unavailable"] = 7, ["500"] = 3 });
        Scenarios.JudgeServerErrors(run, new PhaseResult("database-pessimistic", PhaseResult.Contested, wrk, 90, 0, 1, []));

        run.Failures.Should().Equal("database-pessimistic contested: 3 answers 500");
        run.Notes.Should().ContainSingle().Which.Should().Contain("7 answers 503 (unavailable 7)");
    }

    [Fact]
    public void Each_target_says_met_or_by_how_much_it_was_missed()
    {
        new Target("ratio", 0.2, "×", ">=", 0.5).Verdict.Should().Be("MISSED by 0.30 × (60 %)");
        new Target("ratio", 0.75, "×", ">=", 0.5).Verdict.Should().Be("met, by 0.25 × (50 %)");
        new Target("cpu", 150, "µs", "<=", 100).Verdict.Should().Be("MISSED by 50 µs (50 %)");
        new Target("p99", 50, "ms", "<", 50).Met.Should().BeFalse();
        new Target("persisted", null, "s", "<=", 2).Verdict.Should().Be("MISSED (not reached in this run)");
    }

    [Fact]
    public void The_targets_and_the_cpu_table_are_computed_from_the_phases_of_one_run()
    {
        var run = NewRun();
        var cpu = new List<ProcessCpuUse> { new("server", 0.05, false), new("redis", 0.01, false), new("wrk", 0.02, true), new("bench", 0.01, true) };
        run.Phases.Add(new PhaseResult(Scenarios.Bare, PhaseResult.Ceiling, Wrk(10_000, 10_000, 10_000), null, null, 1, cpu));
        run.Phases.Add(new PhaseResult("redis", PhaseResult.Contested, Wrk(4_000, 4_000, 4_000), 1_000, 1.5, 1, cpu));
        run.Phases.Add(new PhaseResult("redis", PhaseResult.SoldOut, Wrk(12_000, 0, 0), null, null, 1, cpu));
        run.Phases.Add(new PhaseResult("database-pessimistic", PhaseResult.Contested, Wrk(100, 100, 100), 100, 0.1, 1, cpu));

        var targets = Reports.Targets(run).ToDictionary(t => t.Name);
        targets["redis contested: accepted/s ÷ bare requests/s"].Measured.Should().Be(0.4);
        targets["redis after sell-out: requests/s ÷ bare requests/s"].Measured.Should().Be(1.2);
        // CPU per accepted purchase: the server's 1,000 accepted units; the load client (wrk, bench) left out.
        targets["redis contested: CPU per accepted purchase, all processes but the load client"].Measured.Should().BeApproximately(60, 1e-9);
        targets["redis contested: every order persisted within (from the end of the burst)"].Met.Should().BeTrue();
        targets["redis ÷ database-pessimistic, contested accepted/s"].Measured.Should().Be(40);

        var table = Reports.Table(run);
        table.Should().MatchRegex(@"redis\s+contested\s+50\.0\s+10\.0\s+-\s+-\s+20\.0\s+10\.0\s+90\.0\s+60\.0");
        table.Should().MatchRegex(@"redis\s+sold-out\s+4\.2\s+0\.8\s+-\s+-\s+1\.7\s+0\.8\s+7\.5\s+5\.0");
        table.Should().Contain("MISSED by 0.10 × (20 %)");
        Reports.Html(run, "abc", table).Should().Contain("CPU time per process").And.Contain("<td>50.0</td>");
        Reports.Json(run, "abc").Should().Contain("\"cpuMicrosPerUnitWithoutLoadClient\": 60");
    }
}
