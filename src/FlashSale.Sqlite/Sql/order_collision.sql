-- 1 when the order id already stands for a different order: an id collision, not a redelivery.
SELECT 1 FROM orders
WHERE order_id = @order_id
  AND NOT (sale_id = @sale_id AND user_id = @user_id AND quantity = @quantity AND request_id = @request_id);
