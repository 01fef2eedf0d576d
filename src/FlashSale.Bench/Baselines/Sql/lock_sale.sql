-- Seed 003 v1 (pessimistic): every purchase of the sale queues on this row lock until its transaction ends.
SELECT available_stock, version, per_user_limit, starts_at, ends_at FROM sales WHERE id = @sale_id FOR UPDATE;
