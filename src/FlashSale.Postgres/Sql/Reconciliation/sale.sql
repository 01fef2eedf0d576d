SELECT stock, available_stock, (extract(epoch FROM ends_at) * 1000)::bigint AS ends_at_ms FROM sales WHERE id = @sale_id;
