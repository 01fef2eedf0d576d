SELECT 1 FROM orders WHERE order_id = @order_id;
