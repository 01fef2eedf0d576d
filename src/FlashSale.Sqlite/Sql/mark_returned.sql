UPDATE intents SET returned = 1 WHERE order_id = @order_id AND returned = 0;
