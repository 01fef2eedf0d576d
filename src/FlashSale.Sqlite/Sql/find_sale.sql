SELECT id, name, product_id, price, stock, per_user_limit, starts_at_ms, ends_at_ms, payment_timeout_seconds, available_stock, gateway_rules,
       gate_loaded_at_ms IS NOT NULL AS gate_loaded
FROM sales WHERE id = @id;
