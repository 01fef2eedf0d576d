using System.ComponentModel.DataAnnotations;

namespace FlashSale.Redis;

/// <summary>How the Redis gate keeps a sale (FlashSale:Redis).</summary>
public sealed class RedisGateOptions : IValidatableObject
{
    public const string Section = "FlashSale:Redis";

    /// <summary>A sale's gate keys expire this long after its end; its orders stay readable from the database.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")] public TimeSpan RetentionAfterEnd { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Replicas that must have a batch's acceptances (Redis WAIT) before its 202s leave; 0 = do not wait. With
    /// replicas and failover, a 202 then survives the loss of the primary; a batch the replicas did not confirm
    /// in <see cref="ReplicaTimeout"/> is answered 503 (outcome unknown: a retry with the same requestId tells).
    /// </summary>
    [Range(0, 16)] public int WaitForReplicas { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")] public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The longest any one Redis call (gate, ledger, rate limits, tokens, blacklist) is waited for; past it the
    /// call counts as failed (a purchase answers 503). Keep it at or below FlashSale:Admission:GateTimeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")] public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one process may hold a sale's rebuild before another may take over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")] public TimeSpan RebuildLease { get; set; } = TimeSpan.FromSeconds(60);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // WAIT runs inside a Redis call: a replica timeout at or above the call's deadline would cut every wait short.
        if (WaitForReplicas > 0 && ReplicaTimeout >= CallTimeout)
        {
            yield return new ValidationResult($"FlashSale:Redis:ReplicaTimeout ({ReplicaTimeout}) must be below FlashSale:Redis:CallTimeout ({CallTimeout}).",
                [nameof(ReplicaTimeout), nameof(CallTimeout)]);
        }
    }
}
