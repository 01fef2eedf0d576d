SELECT order_id FROM orders WHERE order_id = ANY(@order_ids);
