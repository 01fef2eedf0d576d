-- As PostgreSQL's 0012: orders_sale_user is a prefix of the unique orders_sale_user_request, which serves every lookup
-- by sale and user.
DROP INDEX IF EXISTS orders_sale_user;
