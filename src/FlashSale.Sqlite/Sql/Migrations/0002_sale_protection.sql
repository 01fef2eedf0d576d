-- Per-sale gateway settings (purchase tokens, rate limits, risk thresholds) as JSON; null = defaults.
ALTER TABLE sales ADD COLUMN protection text;
