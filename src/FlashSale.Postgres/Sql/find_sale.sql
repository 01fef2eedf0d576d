SELECT id, name, product_id, price, stock, per_user_limit, starts_at, ends_at, payment_timeout_seconds, available_stock, protection
FROM sales WHERE id = @id;
