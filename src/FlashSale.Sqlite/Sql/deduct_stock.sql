-- Guarded deduction: no row changes when the stock is short, and the caller rolls back.
UPDATE sales SET available_stock = available_stock - @units, version = version + 1
WHERE id = @sale_id AND available_stock >= @units;
