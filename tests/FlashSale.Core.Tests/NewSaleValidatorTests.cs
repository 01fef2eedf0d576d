using FlashSale.Core.Sales;

namespace FlashSale.Core.Tests;

/// <summary>A sale's dates lie between 2000-01-01 and 9000-01-01: near the ends of DateTimeOffset, lead times and retention overflow.</summary>
public sealed class NewSaleValidatorTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Sale Sale(DateTimeOffset startsAt, DateTimeOffset endsAt) => new(1, "Phone", "p1", 1999m, 10, 1, startsAt, endsAt, 900);

    [Fact]
    public void A_sale_within_the_plausible_years_is_valid() =>
        NewSaleValidator.Validate(Sale(NewSaleValidator.EarliestDate, NewSaleValidator.LatestDate.AddTicks(-1))).Should().BeNull();

    [Fact]
    public void A_sale_starting_or_ending_outside_them_is_refused_naming_the_range()
    {
        foreach (var (startsAt, endsAt) in new[]
        {
            (DateTimeOffset.MinValue, Start),
            (NewSaleValidator.EarliestDate.AddTicks(-1), Start),
            (Start, DateTimeOffset.MaxValue),
            (Start, NewSaleValidator.LatestDate),
            (DateTimeOffset.MinValue, DateTimeOffset.MaxValue),
        })
        {
            NewSaleValidator.Validate(Sale(startsAt, endsAt)).Should().Contain("between 2000-01-01 and 9000-01-01", $"{startsAt:o} .. {endsAt:o}");
        }
    }
}
