-- The per-user limit, checked again: user_purchases_within_limit refuses a total above the limit.
INSERT INTO user_purchases (sale_id, user_id, purchased, purchase_limit)
SELECT @sale_id, @user_id, @units, per_user_limit FROM sales WHERE id = @sale_id
ON CONFLICT (sale_id, user_id) DO UPDATE SET purchased = purchased + excluded.purchased;
