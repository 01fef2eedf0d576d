-- One row per payment id: a second transaction recording the same payment inserts nothing and rolls back.
INSERT INTO payments (payment_id, order_id, amount, currency, provider, status, received_at)
VALUES (@payment_id, @order_id, @amount, @currency, @provider, @status, @received_at)
ON CONFLICT (payment_id) DO NOTHING;
