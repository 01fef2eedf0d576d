INSERT INTO sales (id, name, product_id, price, stock, available_stock, per_user_limit, starts_at, ends_at, payment_timeout_seconds, gateway_rules)
VALUES (@id, @name, @product_id, @price, @stock, @stock, @per_user_limit, @starts_at, @ends_at, @payment_timeout_seconds, @gateway_rules);
