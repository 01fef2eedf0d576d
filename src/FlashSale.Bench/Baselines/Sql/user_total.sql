SELECT coalesce((SELECT purchased FROM user_purchases WHERE sale_id = @sale_id AND user_id = @user_id), 0);
