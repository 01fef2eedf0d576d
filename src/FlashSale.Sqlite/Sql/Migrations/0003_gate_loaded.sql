-- Set when the gate first holds the sale (the same column as PostgreSQL's 0004_gate_loaded.sql).
ALTER TABLE sales ADD COLUMN gate_loaded_at_ms INTEGER;
