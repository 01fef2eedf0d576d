-- Guarded deduction: a sale without enough stock is not updated, and the caller rolls back.
UPDATE sales AS s
SET available_stock = s.available_stock - d.units,
    version = s.version + 1
FROM unnest(@sale_ids, @units) AS d (sale_id, units)
WHERE s.id = d.sale_id AND s.available_stock >= d.units
RETURNING s.id;
