SELECT status FROM payments WHERE payment_id = @payment_id;
