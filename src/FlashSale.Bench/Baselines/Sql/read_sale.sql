-- Seed 003 v2 (optimistic): read without a lock; the update below checks the version.
SELECT available_stock, version, per_user_limit, starts_at, ends_at FROM sales WHERE id = @sale_id;
