-- When a failed order's stock and quota were confirmed back in the gate. Null on a failed order = the
-- return is still owed, and the compensation sweeper retries it (the gate gives an order back at most
-- once, so failed orders from before this column are simply confirmed on the first sweep).
ALTER TABLE orders ADD COLUMN stock_returned_at timestamptz;
CREATE INDEX orders_stock_unreturned ON orders (order_id) WHERE status = 'failed' AND stock_returned_at IS NULL;
