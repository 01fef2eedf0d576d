-- One order per (sale, user, requestId), whatever writes it: a retry can never become a second order.
-- Replaces 0003's plain index of the same columns (the database gates' lookup uses this one).
DROP INDEX orders_sale_user_request;
CREATE UNIQUE INDEX orders_sale_user_request ON orders (sale_id, user_id, request_id);
