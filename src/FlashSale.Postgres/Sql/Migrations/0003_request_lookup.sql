-- The database gates (benchmark baselines) look a purchase up by (sale, user, requestId) for idempotent retries.
CREATE INDEX orders_sale_user_request ON orders (sale_id, user_id, request_id);
