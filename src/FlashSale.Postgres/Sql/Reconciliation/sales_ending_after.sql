SELECT id FROM sales WHERE ends_at > @since ORDER BY id;
