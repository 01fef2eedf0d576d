using System.Diagnostics;

namespace FlashSale.Bench.Tests;

/// <summary>Reading CPU time from /proc, finding a service by its port, and wrk's time from bash's <c>times</c>.</summary>
public sealed class ProcessCpuTests
{
    [Fact]
    public void A_stat_line_is_read_from_after_the_last_parenthesis_whatever_the_command_name_holds()
    {
        var stat = ProcessCpu.Parse("4242 (postgres: a) b (c)) S 17 4242 4242 0 -1 4194304 100 0 0 0 321 45 6 7 20 0 1 0 100 1000 10");
        stat.Should().Be(new ProcessCpu.Stat(17, 321, 45, 6, 7));
        stat!.Value.AllTicks.Should().Be(379);
        ProcessCpu.Parse("garbage").Should().BeNull();
    }

    [Fact]
    public void The_listener_of_a_port_is_found_in_ss_output()
    {
        const string ss = """
            LISTEN 0      128    127.0.0.1:25681 0.0.0.0:* users:(("beam.smp",pid=19904,fd=18))
            LISTEN 0      128    127.0.0.1:5681  0.0.0.0:* users:(("beam.smp",pid=19905,fd=36))
            LISTEN 0      511    127.0.0.1:6391  0.0.0.0:* users:(("redis-server",pid=18220,fd=6))
            """;
        ProcessCpu.ListenerIn(ss, 5681).Should().Be(19905);
        ProcessCpu.ListenerIn(ss, 6391).Should().Be(18220);
        ProcessCpu.ListenerIn(ss, 681).Should().BeNull();
        CpuProbe.RedisPort("127.0.0.1:6391,abortConnect=false").Should().Be(6391);
        CpuProbe.RedisPort("localhost").Should().Be(6379);
    }

    [Fact]
    public void Wrk_cpu_time_is_the_childrens_line_of_bash_times()
    {
        Wrk.ChildCpuSeconds("some wrk error\n0m0.004s 0m0.001s\n1m2.500s 0m0.250s\n").Should().BeApproximately(62.75, 1e-9);
        Wrk.ChildCpuSeconds("no times here").Should().Be(0);
    }

    [Fact]
    public void A_process_tree_counts_its_live_descendants()
    {
        // A parent that only waits, and a child of it that spins: the tree's time holds the child's.
        using var parent = Process.Start(new ProcessStartInfo("bash", ["-c", "bash -c 'while :; do :; done' & wait"]))!;
        try
        {
            int? child = null;
            for (var i = 0; i < 200 && child is null; i++)
            {
                Thread.Sleep(50);
                child = Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
                    .FirstOrDefault(pid => pid > 0 && ProcessCpu.Read(pid)?.ParentId == parent.Id && ProcessCpu.Read(pid)!.Value.OwnTicks > 0);
                if (child == 0) child = null;
            }
            child.Should().NotBeNull("the spinning child shows up with some CPU time");
            var childSeconds = ProcessCpu.OwnSeconds(child!.Value);
            ProcessCpu.TreeSeconds(parent.Id).Should().BeGreaterThanOrEqualTo(childSeconds).And.BeGreaterThan(ProcessCpu.OwnSeconds(parent.Id));
        }
        finally
        {
            parent.Kill(entireProcessTree: true);
            parent.WaitForExit();
        }
    }
}
