SELECT id, name, product_id, price, stock, per_user_limit, starts_at, ends_at, payment_timeout_seconds, available_stock, gateway_rules,
       gate_loaded_at IS NOT NULL AS gate_loaded
FROM sales WHERE id = @id;
