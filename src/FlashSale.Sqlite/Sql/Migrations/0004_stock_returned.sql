-- When a failed order's stock and quota were confirmed back in the gate, as in PostgreSQL's
-- 0005_stock_returned.sql. Null on a failed order = the return is still owed and the compensation
-- sweeper retries it. Failed orders the journal already marks as returned are confirmed here.
ALTER TABLE orders ADD COLUMN stock_returned_at_ms INTEGER;
UPDATE orders SET stock_returned_at_ms = persisted_at_ms
WHERE status = 'failed' AND order_id IN (SELECT order_id FROM intents WHERE returned = 1);
CREATE INDEX orders_stock_unreturned ON orders (order_id) WHERE status = 'failed' AND stock_returned_at_ms IS NULL;
