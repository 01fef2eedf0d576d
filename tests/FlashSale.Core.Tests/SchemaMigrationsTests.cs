using FlashSale.Core.Storage;

namespace FlashSale.Core.Tests;

/// <summary>The one migration rule, against this assembly's Sql/Migrations (0001, 0002, 0010) and a recording database.</summary>
public sealed class SchemaMigrationsTests
{
    private static readonly SqlScripts Scripts = SqlScripts.EmbeddedIn(typeof(SchemaMigrationsTests).Assembly);

    [Fact]
    public async Task A_new_database_gets_its_version_table_then_every_migration_in_order_each_recorded_then_one_commit()
    {
        var database = new RecordingDatabase();

        var applied = await SchemaMigrations.ApplyAsync(Scripts, database, null, default);

        applied.Should().Equal("0001_first.sql", "0002_second.sql", "0010_tenth.sql");
        database.Log.Should().Equal(
            "run CREATE TABLE versions;", "read versions",
            "run CREATE TABLE first;", "record 1 0001_first.sql",
            "run CREATE TABLE second;", "record 2 0002_second.sql",
            "run CREATE TABLE tenth;", "record 10 0010_tenth.sql",
            "commit");
    }

    [Fact]
    public async Task Only_what_the_version_table_does_not_record_is_applied()
    {
        var database = new RecordingDatabase(applied: [1, 10]);

        var applied = await SchemaMigrations.ApplyAsync(Scripts, database, null, default);

        applied.Should().Equal("0002_second.sql");
        database.Log.Should().Equal("run CREATE TABLE versions;", "read versions", "run CREATE TABLE second;", "record 2 0002_second.sql", "commit");
    }

    [Fact]
    public async Task A_migration_that_fails_is_not_recorded_and_nothing_is_committed()
    {
        var database = new RecordingDatabase { Failing = "CREATE TABLE second;" };

        var act = () => SchemaMigrations.ApplyAsync(Scripts, database, null, default);

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("refused");
        database.Log.Should().Equal("run CREATE TABLE versions;", "read versions", "run CREATE TABLE first;", "record 1 0001_first.sql");
    }

    [Fact]
    public async Task Two_migrations_with_one_number_stop_it_before_anything_runs()
    {
        var database = new RecordingDatabase();
        var shared = new SqlScripts(typeof(SchemaMigrationsTests).Assembly, "FlashSale.Core.Tests.Sql.Shared/");

        var act = () => SchemaMigrations.ApplyAsync(shared, database, null, default);

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*0001_a.sql and 0001_b.sql share version 1*");
        database.Log.Should().BeEmpty();
    }

    private sealed class RecordingDatabase(params int[] applied) : ISchemaTransaction
    {
        public List<string> Log { get; } = [];
        public string? Failing { get; init; }

        public Task ExecuteAsync(string sql, CancellationToken cancellationToken)
        {
            if (sql.Trim() == Failing) throw new InvalidOperationException("refused");
            Log.Add("run " + sql.Trim());
            return Task.CompletedTask;
        }

        public Task<IReadOnlySet<int>> AppliedVersionsAsync(CancellationToken cancellationToken)
        {
            Log.Add("read versions");
            return Task.FromResult<IReadOnlySet<int>>(applied.ToHashSet());
        }

        public Task RecordAsync(int version, string name, CancellationToken cancellationToken)
        {
            Log.Add($"record {version} {name}");
            return Task.CompletedTask;
        }

        public Task CommitAsync(CancellationToken cancellationToken)
        {
            Log.Add("commit");
            return Task.CompletedTask;
        }
    }
}
