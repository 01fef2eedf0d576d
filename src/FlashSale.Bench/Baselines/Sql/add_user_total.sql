INSERT INTO user_purchases (sale_id, user_id, purchased, purchase_limit)
VALUES (@sale_id, @user_id, @quantity, @purchase_limit)
ON CONFLICT (sale_id, user_id) DO UPDATE SET purchased = user_purchases.purchased + EXCLUDED.purchased;
