UPDATE sales SET gate_loaded_at_ms = @now_ms WHERE id = @sale_id AND gate_loaded_at_ms IS NULL;
