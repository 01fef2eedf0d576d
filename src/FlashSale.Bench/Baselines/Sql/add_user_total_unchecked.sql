-- The naive strategy records totals without the limit's CHECK (a huge limit), as an unguarded schema would.
INSERT INTO user_purchases (sale_id, user_id, purchased, purchase_limit)
VALUES (@sale_id, @user_id, @quantity, 2147483647)
ON CONFLICT (sale_id, user_id) DO UPDATE SET purchased = user_purchases.purchased + EXCLUDED.purchased;
