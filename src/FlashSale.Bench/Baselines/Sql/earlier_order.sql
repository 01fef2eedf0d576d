-- The order of an earlier attempt of this request, if any (failed or not: like the Redis gate, a retry gets its first answer).
SELECT order_id FROM orders WHERE sale_id = @sale_id AND user_id = @user_id AND request_id = @request_id;
