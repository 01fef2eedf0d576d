using FlashSale.Redis;

namespace FlashSale.Adapters.Tests;

public sealed class RedisScriptTests
{
    [Fact]
    public void Every_script_is_a_lua_file_of_its_name_and_every_lua_file_a_script()
    {
        const string prefix = "FlashSale.Redis.Scripts.";
        var files = typeof(RedisStockGate).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]);

        Enum.GetValues<RedisScript>().Select(RedisScripts.FileName).Should().BeEquivalentTo(files);
        RedisScripts.FileName(RedisScript.ReturnOrphaned).Should().Be("return_orphaned.lua");
    }
}
