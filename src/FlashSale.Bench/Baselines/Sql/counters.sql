SELECT available_stock, stock FROM sales WHERE id = @sale_id;
