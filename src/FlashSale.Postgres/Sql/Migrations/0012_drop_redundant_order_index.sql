-- orders_sale_user (sale_id, user_id) is a prefix of the unique orders_sale_user_request (sale_id, user_id, request_id),
-- which serves every lookup by sale and user: the order writer no longer maintains a second copy per inserted order.
DROP INDEX IF EXISTS orders_sale_user;
