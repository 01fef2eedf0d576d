-- A cancelled order's units back to the sale's stock and its quantity back to the user's total.
UPDATE sales SET available_stock = available_stock + @units, version = version + 1 WHERE id = @sale_id;
UPDATE user_purchases SET purchased = purchased - @units WHERE sale_id = @sale_id AND user_id = @user_id;
