namespace FlashSale.Core.Storage;

/// <summary>The system of record cannot be written or read right now (disk full, I/O error, unreachable): answer 503.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
