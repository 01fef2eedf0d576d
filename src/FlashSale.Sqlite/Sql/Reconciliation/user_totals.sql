SELECT user_id, purchased FROM user_purchases WHERE sale_id = @sale_id;
