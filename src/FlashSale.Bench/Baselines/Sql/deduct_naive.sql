-- The unsafe "read, check in the application, write back" of a first attempt: concurrent purchases
-- overwrite each other's deduction (lost update) and more units are sold than exist. Kept only as the
-- benchmark's demonstration of what the audit catches; never a real strategy.
UPDATE sales SET available_stock = @new_available, version = version + 1 WHERE id = @sale_id;
