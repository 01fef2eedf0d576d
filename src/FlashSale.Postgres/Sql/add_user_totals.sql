-- The per-user limit, checked again: user_purchases_within_limit refuses a total above the sale's limit.
INSERT INTO user_purchases (sale_id, user_id, purchased, purchase_limit)
SELECT t.sale_id, t.user_id, t.units, s.per_user_limit
FROM unnest(@sale_ids, @user_ids, @units) AS t (sale_id, user_id, units)
JOIN sales s ON s.id = t.sale_id
ON CONFLICT (sale_id, user_id) DO UPDATE SET purchased = user_purchases.purchased + EXCLUDED.purchased;
