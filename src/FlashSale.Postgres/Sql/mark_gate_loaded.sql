UPDATE sales SET gate_loaded_at = now() WHERE id = @sale_id AND gate_loaded_at IS NULL;
