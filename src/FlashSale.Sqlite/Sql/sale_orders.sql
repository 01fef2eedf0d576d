-- Every order of a sale, as the gate is rebuilt from it; only live orders take stock.
SELECT order_id, user_id, quantity, request_id, accepted_at_ms,
       status IN ('pending_payment', 'paid') AS takes_stock
FROM orders WHERE sale_id = @sale_id;
