namespace FlashSale.Core.Purchasing;

/// <summary>A process's closed flags (<see cref="PurchaseAdmission"/>): what a cancellation clears when units come back.</summary>
public interface IClosedFlags
{
    /// <summary>Forgets the sale's sold-out flag in this process: units came back to the gate and sell again.</summary>
    void ClearSoldOut(long saleId);
}
