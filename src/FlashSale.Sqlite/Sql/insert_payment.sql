-- One row per payment id.
INSERT INTO payments (payment_id, order_id, amount, currency, provider, status, received_at_ms, recorded_at_ms)
VALUES (@payment_id, @order_id, @amount, @currency, @provider, @status, @received_at_ms, @now_ms)
ON CONFLICT (payment_id) DO NOTHING;
