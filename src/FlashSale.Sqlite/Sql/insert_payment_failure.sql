-- A failed payment, once per payment id; only for an order that exists.
INSERT INTO payment_failures (payment_id, order_id, provider, received_at_ms)
SELECT @payment_id, order_id, @provider, @received_at_ms FROM orders WHERE order_id = @order_id
ON CONFLICT (payment_id) DO NOTHING;
