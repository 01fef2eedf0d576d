using FlashSale.Redis;
using StackExchange.Redis;

namespace FlashSale.Adapters.Tests;

/// <summary>Worker id leases, over a small key space of their own (not the 1,024 ids of real processes).</summary>
public sealed class WorkerIdLeaseTests : IDisposable
{
    // Database 1, like the gate contract: out of sight of any FlashSale process.
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=1");
    private readonly string _space = $"test:worker:{Guid.NewGuid():N}:";

    private Task<RedisWorkerIdLease> LeaseAsync(int size, TimeSpan? duration = null) =>
        RedisWorkerIdLease.AcquireAsync(_redis, _space + "seq", _space + "lease:", size, duration ?? TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Live_leases_never_share_an_id_and_start_up_is_refused_when_none_is_free()
    {
        // More starts than ids, as after 1,024 restarts: the counter goes round, the leases do not.
        var leases = new List<RedisWorkerIdLease>();
        for (var i = 0; i < 4; i++) leases.Add(await LeaseAsync(size: 4));
        leases.Select(l => l.Id).Should().OnlyHaveUniqueItems().And.BeEquivalentTo([0, 1, 2, 3]);

        var fifth = () => LeaseAsync(size: 4);
        (await fifth.Should().ThrowAsync<WorkerIdUnavailableException>()).Which.Message.Should().Contain("No Snowflake worker id is free");

        await leases[2].ReleaseAsync();
        (await LeaseAsync(size: 4)).Id.Should().Be(leases[2].Id, "a stopped process's id is free again");
    }

    [Fact]
    public async Task A_lease_renews_while_held_and_reports_when_another_process_holds_it()
    {
        var lease = await LeaseAsync(size: 2, TimeSpan.FromMilliseconds(300));
        (await lease.RenewAsync()).Should().Be(WorkerIdRenewal.Kept);

        await Task.Delay(600);
        (await lease.RenewAsync()).Should().Be(WorkerIdRenewal.Retaken, "it lapsed and nobody took it");

        await Task.Delay(600);
        var other = await LeaseAsync(size: 2, TimeSpan.FromMinutes(1));
        var taken = other.Id == lease.Id ? other : await LeaseAsync(size: 2, TimeSpan.FromMinutes(1));
        taken.Id.Should().Be(lease.Id);
        (await lease.RenewAsync()).Should().Be(WorkerIdRenewal.Lost);

        await lease.ReleaseAsync();
        (await taken.RenewAsync()).Should().Be(WorkerIdRenewal.Kept, "the loser's release does not free the winner's lease");
    }

    public void Dispose()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var db = _redis.GetDatabase();
        foreach (var key in server.Keys(1, _space + "*")) db.KeyDelete(key);
        _redis.Dispose();
    }
}
