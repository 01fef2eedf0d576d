UPDATE sales SET available_stock = available_stock - @quantity, version = version + 1 WHERE id = @sale_id;
