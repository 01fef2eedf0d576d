using System.Text.RegularExpressions;
using FlashSale.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace FlashSale.Server.Tests;

/// <summary>Worker ids are leased: a process never mints ids under an id another live process holds.</summary>
[Collection(ServerCollection.Name)]
public sealed partial class WorkerIdLeaseTests : IAsyncLifetime
{
    private readonly PrivateRedis _redis = new();

    public Task InitializeAsync() => _redis.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private ServerProcess NewServer() =>
        new("api,worker", new Dictionary<string, string> { ["ConnectionStrings__Redis"] = _redis.ConnectionString });

    [Fact]
    public async Task A_start_is_refused_when_every_worker_id_is_leased()
    {
        using (var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString))
        {
            var db = redis.GetDatabase();
            await Task.WhenAll(Enumerable.Range(0, 1024).Select(id => db.StringSetAsync($"fs:worker:{id}", "another-process", TimeSpan.FromMinutes(5))));
        }
        await using var server = NewServer();

        var exitCode = await server.StartExpectingExitAsync(TimeSpan.FromSeconds(60));

        exitCode.Should().Be(2);
        server.Log.Should().Contain("FlashSale cannot start: No Snowflake worker id is free");
    }

    [Fact]
    public async Task A_process_whose_lease_another_process_took_stops()
    {
        await using var server = NewServer();
        await server.StartAsync();
        var workerId = WorkerIdInLog().Match(server.Log).Groups[1].Value;
        workerId.Should().NotBeEmpty();

        using (var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString))
        {
            (await redis.GetDatabase().StringGetAsync($"fs:worker:{workerId}")).HasValue.Should().BeTrue("the running process holds its lease");
            await redis.GetDatabase().StringSetAsync($"fs:worker:{workerId}", "another-process", TimeSpan.FromMinutes(5));
        }
        server.ExpectExit();

        for (var i = 0; i < 250 && server.ExitCode is null; i++) await Task.Delay(100);
        server.ExitCode.Should().NotBeNull("the process stops within a renewal interval rather than mint ids another process mints too");
        server.Log.Should().Contain($"Worker id {workerId} is leased by another process now");
    }

    [GeneratedRegex(@"worker id (\d+)")]
    private static partial Regex WorkerIdInLog();
}
