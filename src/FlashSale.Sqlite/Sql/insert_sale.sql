INSERT INTO sales (id, name, product_id, price, stock, available_stock, per_user_limit, starts_at_ms, ends_at_ms, payment_timeout_seconds, created_at_ms, gateway_rules)
VALUES (@id, @name, @product_id, @price, @stock, @stock, @per_user_limit, @starts_at_ms, @ends_at_ms, @payment_timeout_seconds, @now_ms, @gateway_rules);
