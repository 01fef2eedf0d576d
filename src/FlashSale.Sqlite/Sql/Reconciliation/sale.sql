SELECT stock, available_stock, ends_at_ms FROM sales WHERE id = @sale_id;
