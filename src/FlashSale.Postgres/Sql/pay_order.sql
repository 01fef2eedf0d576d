-- The one way to paid: from pending_payment only, so of a payment and a cancellation racing, exactly one moves the order.
UPDATE orders
SET status = 'paid', paid_at = @received_at, payment_id = @payment_id, payment_provider = @provider, payment_status = 'succeeded'
WHERE order_id = @order_id AND status = 'pending_payment';
