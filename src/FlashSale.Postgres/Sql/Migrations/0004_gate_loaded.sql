-- Set when a stock gate first holds the sale: should the gate's state later be gone with its ledger,
-- intents not yet persisted may be gone too, and the gate is not rebuilt from the database alone.
ALTER TABLE sales ADD COLUMN gate_loaded_at timestamptz;
