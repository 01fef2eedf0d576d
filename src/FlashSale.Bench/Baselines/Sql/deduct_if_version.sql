-- Optimistic: succeeds only if nobody changed the row since it was read.
UPDATE sales SET available_stock = available_stock - @quantity, version = version + 1
WHERE id = @sale_id AND version = @version AND available_stock >= @quantity;
