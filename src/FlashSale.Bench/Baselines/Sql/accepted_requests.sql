SELECT user_id, request_id, order_id FROM orders WHERE sale_id = @sale_id AND status <> 'failed';
