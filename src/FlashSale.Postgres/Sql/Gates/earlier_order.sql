SELECT order_id FROM orders WHERE sale_id = @sale_id AND user_id = @user_id AND request_id = @request_id AND status <> 'failed';
