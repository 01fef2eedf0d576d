namespace FlashSale.Server.Hosting;

/// <summary>This process's Snowflake worker id, drawn from a shared counter at start-up.</summary>
public sealed class WorkerIdentity
{
    private int _id = -1;

    public int Id => _id >= 0 ? _id : throw new InvalidOperationException("The worker id is assigned during start-up, before requests are served.");

    public void Assign(int id) => _id = id;
}
