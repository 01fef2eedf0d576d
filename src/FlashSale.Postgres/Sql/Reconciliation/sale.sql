SELECT stock, available_stock FROM sales WHERE id = @sale_id;
