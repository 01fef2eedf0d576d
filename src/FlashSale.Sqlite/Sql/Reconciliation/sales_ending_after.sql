SELECT id FROM sales WHERE ends_at_ms > @since_ms ORDER BY id;
