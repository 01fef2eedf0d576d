-- One order per (sale, user, requestId), as in PostgreSQL's 0006_unique_request.sql.
CREATE UNIQUE INDEX orders_sale_user_request ON orders (sale_id, user_id, request_id);
